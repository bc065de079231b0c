"""hsm-setup's botocore data loader keeps endpoints.json to the services it calls, and changes
nothing botocore resolves for them."""

from __future__ import annotations

import botocore.session
import pytest
from botocore.loaders import Loader
from botocore.regions import EndpointResolver

from hsm_setup.aws.clients import AwsSession
from hsm_setup.aws.connection import Connection
from hsm_setup.aws.data_loader import CLIENT_SERVICES, ENDPOINT_PREFIXES, ServicesLoader, check_service


def _session(loader: Loader) -> botocore.session.Session:
    session = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    session.register_component("data_loader", loader)
    return session


def test_the_kept_endpoint_prefixes_are_those_of_the_clients_hsm_setup_makes() -> None:
    loader = Loader()
    prefixes = {
        loader.load_service_model(service, "service-2")["metadata"]["endpointPrefix"] for service in CLIENT_SERVICES
    }
    assert prefixes == ENDPOINT_PREFIXES


def test_every_partition_keeps_its_regions_and_only_the_kept_services() -> None:
    full = Loader().load_data("endpoints")
    narrowed = ServicesLoader().load_data("endpoints")
    assert [p["partition"] for p in narrowed["partitions"]] == [p["partition"] for p in full["partitions"]]
    for whole, kept in zip(full["partitions"], narrowed["partitions"], strict=True):
        assert set(kept["services"]) <= ENDPOINT_PREFIXES, kept["partition"]
        assert kept["services"] == {k: v for k, v in whole["services"].items() if k in ENDPOINT_PREFIXES}
        assert kept["regions"] == whole["regions"]
        assert {k: v for k, v in kept.items() if k != "services"} == {k: v for k, v in whole.items() if k != "services"}
    # Every AWS service's entry is gone from the big partition: that is the memory saved.
    assert len(full["partitions"][0]["services"]) > 100 > len(narrowed["partitions"][0]["services"])


def test_botocore_resolves_the_same_endpoints_and_regions_for_hsm_setups_services() -> None:
    full, narrowed = _session(Loader()), _session(ServicesLoader())
    full_resolver = EndpointResolver(Loader().load_data("endpoints"))
    narrowed_resolver = EndpointResolver(ServicesLoader().load_data("endpoints"))
    for service in sorted(CLIENT_SERVICES):
        for partition in full_resolver.get_available_partitions():
            assert narrowed.get_available_regions(service, partition) == full.get_available_regions(service, partition)
        prefix = Loader().load_service_model(service, "service-2")["metadata"]["endpointPrefix"]
        for region in ("us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1", "aws-global"):
            assert narrowed_resolver.construct_endpoint(prefix, region) == full_resolver.construct_endpoint(
                prefix, region
            )
        client_full = full.create_client(
            service, region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b"
        )
        client_narrowed = narrowed.create_client(
            service, region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b"
        )
        assert client_narrowed.meta.endpoint_url == client_full.meta.endpoint_url
        assert client_narrowed.meta.region_name == client_full.meta.region_name
        assert client_narrowed.meta.config.signature_version == client_full.meta.config.signature_version


def test_a_client_for_a_service_outside_the_kept_ones_is_refused() -> None:
    with pytest.raises(ValueError, match="'cloudhsmv2' is not among the services"):
        check_service("cloudhsmv2")
    aws = AwsSession(Connection(region="us-east-1", access_key_id="a", secret_access_key="b", sandbox=True))
    with pytest.raises(ValueError, match="'s3' is not among the services"):
        aws.client("s3")
    assert aws.client("sso-admin").meta.service_model.service_name == "sso-admin"
