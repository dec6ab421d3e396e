"""Amazon Rekognition wire protocol: JSON 1.1, SigV4, service-model validation."""
