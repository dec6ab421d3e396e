"""Authentication: SigV4 access keys for the Rekognition API, bearer tokens for REST.

- :mod:`sightline.auth.sigv4` verifies AWS Signature Version 4 (pure functions).
- :mod:`sightline.auth.secrets` encrypts access-key secrets at rest.
- :mod:`sightline.auth.keys` and :mod:`sightline.auth.tokens` are the stores.
- :mod:`sightline.auth.ratelimit` holds per-key token buckets.
"""
