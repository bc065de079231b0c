"""The AWS configuration's own failures, explained: the cause and the next move, never botocore's words alone."""

from __future__ import annotations

import botocore.exceptions as bex
import pytest

from hsm_setup.aws.clients import AwsSession
from hsm_setup.aws.connection import Connection
from hsm_setup.errors import CredentialsError, explain


def test_a_region_no_sdk_knows_is_named_when_its_endpoint_cannot_be_reached():
    problem = explain(bex.EndpointConnectionError(endpoint_url="https://sts.us-fake-9.amazonaws.com/"))
    assert problem.kind == "endpoint"
    assert (
        problem.cause
        == "Could not reach the AWS endpoint (https://sts.us-fake-9.amazonaws.com/): us-fake-9 is not a Region this AWS SDK knows."
    )
    assert "AWS_REGION" in problem.next_move


def test_a_known_regions_endpoint_that_cannot_be_reached_is_the_network():
    problem = explain(bex.EndpointConnectionError(endpoint_url="https://sts.eu-west-2.amazonaws.com/"))
    assert problem.cause == "Could not reach the AWS endpoint (https://sts.eu-west-2.amazonaws.com/)."


def test_an_unknown_profile_names_the_files_it_looked_in(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    (tmp_path / "config").write_text("[default]\nregion = us-east-1\n")
    with pytest.raises(CredentialsError) as caught:
        AwsSession(Connection(profile="nosuch"))
    assert caught.value.cause.startswith(
        f"The AWS profile `nosuch` does not exist: it is in neither {tmp_path / 'config'} nor "
    )
    assert "aws configure list-profiles" in caught.value.next_move


def test_a_malformed_config_file_is_refused_before_any_call(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    (tmp_path / "config").write_text("[profile broken\n")
    with pytest.raises(CredentialsError) as caught:
        AwsSession(Connection())
    assert (
        caught.value.cause
        == f"The AWS configuration file {tmp_path / 'config'} cannot be read: it is not in the INI format the AWS CLI writes."
    )


def test_a_config_file_that_is_a_folder_is_said_to_be_one(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path))
    with pytest.raises(CredentialsError) as caught:
        AwsSession(Connection())
    assert "is a folder" in caught.value.cause


def test_the_practice_account_reads_none_of_the_persons_aws_configuration(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_PROFILE", "nosuch")
    (tmp_path / "config").write_text("[profile broken\n")
    session = AwsSession(
        Connection(
            sandbox=True, endpoint_url="http://127.0.0.1:9", access_key_id="testing", secret_access_key="testing"
        )
    )
    assert session.region == "us-east-1"


def test_a_profile_without_a_region_uses_us_east_1_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    (tmp_path / "config").write_text("[profile keys]\naws_access_key_id = a\naws_secret_access_key = b\n")
    session = AwsSession(Connection(profile="keys"))
    assert session.region == "us-east-1" and session.region_defaulted
    assert not AwsSession(Connection(profile="keys", region="eu-west-2")).region_defaulted
