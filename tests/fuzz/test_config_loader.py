"""Config texts into the loader: a WorkshopError naming the problem, or a config — never another
exception. Made of the real sections and keys (so most texts get past the INI syntax)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from workshop.config import PATH_KEYS, parse_config
from workshop.errors import WorkshopError

SECTIONS = ["[default]", "[workshop]", "[models]", "[quota]", "[sandbox]", "[cost]", "[path nat]", "[path vpce]",
            "[path cross-account]", "[path proxy]", "[path x", "[]", "[path ]"]
KEYS = [*PATH_KEYS, "UseVPCe", "GetCredentialsFrom", "AccessKey", "SecretKey", "AssumeRoleARN", "VPCEndpointURL",
        "PromptFilePath", "Debug", "SecretKeyFernet", "Sandbox", "DefaultPath", "DefaultModel", "StoreURL",
        "LogBodies", "Encrypted", "MaxInvocations", "PerMinute", "NoDelay", "Seed", "Port", "ThrottleRate",
        "ForcedErrors", "StreamErrors", "SlowFirstByteMs", "NotEnabled", "LatencyProfile", "CallsPerMonth"]
VALUES = st.one_of(
    st.sampled_from(["", "true", "false", "0", "1", "2", "-1", "1e999", "nan", "inf", "99999999999999999999",
                     "us-east-1", "eu-west-1", "not a region", "https://example.com", "http://127.0.0.1:1",
                     "https://u:p@bedrock-runtime.us-east-1.amazonaws.com", "enc:gAAAAA", "enc:", "gAAAAAB",
                     "arn:aws:iam::123456789012:role/r", "instance", "assume-role", "access-keys", "profile",
                     "anthropic.claude-3-haiku-20240307-v1:0", "throttling", "a=ThrottlingException", "%(x)s",
                     "sqlite:///:memory:", "postgresql+psycopg://u:p@h:notaport/db", "\ud800"]),
    st.text(max_size=40),
)
LINE = st.one_of(
    st.sampled_from(SECTIONS),
    st.tuples(st.sampled_from(KEYS), st.sampled_from([" = ", "=", ": "]), VALUES).map(lambda t: "".join(t)),
    st.text(max_size=40),
)


@given(lines=st.lists(LINE, max_size=25))
def test_any_config_text_loads_or_raises_a_workshop_error(lines: list[str]) -> None:
    try:
        config = parse_config("\n".join(lines), source="fuzz.properties")
    except WorkshopError as err:
        assert str(err)
        return
    assert config.paths is not None
