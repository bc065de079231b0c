"""What the practice-account tests share: a plain boto3 IAM client on an endpoint."""

from __future__ import annotations

from pathlib import Path

import boto3
from botocore.config import Config

REPO = Path(__file__).resolve().parents[2]
# Generous bounds on waits for a subprocess; never asserted as timings.
WAIT_SECONDS = 60


def iam_at(endpoint: str):
    return boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10),
    )
