"""Conversion of internal results (pixels, 0-1) to Rekognition's wire shapes.

This package is the one place where pixel boxes become ratios of the image's width
and height and confidences become percentages. One module per operation family.
"""
