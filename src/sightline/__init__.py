"""Sightline: self-hosted image and video analysis with a Rekognition-compatible API."""

__version__ = "0.1.0"
