"""redact / mask / RedactingFilter / logs.configure: no secret shape survives."""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from cryptography.fernet import Fernet

from tests.secrets.legacy_tool import original_encrypt
from workshop import logs, secrets

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
# From the AWS STS AssumeRole documentation example response.
STS_ACCESS_KEY = "ASIAIOSFODNN7EXAMPLE"
STS_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
STS_SESSION_TOKEN = (
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwth"
    "Ax7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAki"
    "Y9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
)
FERNET_KEY = Fernet.generate_key().decode()
FERNET_TOKEN = Fernet(FERNET_KEY.encode()).encrypt(b"value").decode()


@pytest.mark.parametrize(
    "secret",
    [ACCESS_KEY, STS_ACCESS_KEY, SECRET_KEY, STS_SESSION_TOKEN, FERNET_KEY, FERNET_TOKEN,
     original_encrypt("v", Fernet(FERNET_KEY.encode()))],
    ids=["access-key-id", "temporary-key-id", "secret-key", "session-token", "fernet-key", "fernet-token",
         "legacy-token"],
)
@pytest.mark.parametrize(
    "template",
    ["{}", "value={} done", "'{}'", '{{"k": "{}"}}', "key: {}\n", "<X>{}</X>"],
    ids=["bare", "kv", "quoted", "json", "yaml", "xml"],
)
def test_every_secret_shape_is_redacted_in_any_context(secret: str, template: str) -> None:
    assert secret not in secrets.redact(template.format(secret))


def test_access_key_ids_stay_recognisable() -> None:
    assert secrets.redact(f"using {ACCESS_KEY}") == "using AKIA…MPLE"


def test_enc_values_are_redacted() -> None:
    assert secrets.redact(f"SecretKey = enc:{FERNET_TOKEN}") .endswith("[REDACTED]")
    assert FERNET_TOKEN not in secrets.redact(f"enc:{FERNET_TOKEN}")


def test_authorization_header_value_is_redacted_in_a_raw_request() -> None:
    text = (f"Authorization: AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20240101/us-east-1/bedrock/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=" + "ab" * 32)
    out = secrets.redact(text)
    assert out == "Authorization: [REDACTED]"


def test_authorization_header_value_is_redacted_in_a_dict_repr() -> None:
    text = repr({"Authorization": b"AWS4-HMAC-SHA256 Credential=x, Signature=" + b"cd" * 32, "Host": "h"})
    out = secrets.redact(text)
    assert "'Authorization': b'[REDACTED]'" in out and "cd" * 32 not in out and "'Host': 'h'" in out


def test_security_token_header_is_redacted_whatever_its_case() -> None:
    for text in (f"X-Amz-Security-Token: {'short-token'}", f"x-amz-security-token:{'short-token'}",
                 f"{{'X-Amz-Security-Token': b'{'short-token'}'}}"):
        assert "short-token" not in secrets.redact(text)


@pytest.mark.parametrize(
    "text",
    ["<SecretAccessKey>abc</SecretAccessKey>", "'SessionToken': 'abc'", "aws_secret_access_key = abc",
     "aws_session_token=abc", '"secret_key": "abc"', "SecretKeyFernet = abc"],
)
def test_values_of_secret_named_keys_are_redacted_even_when_short(text: str) -> None:
    assert "abc" not in secrets.redact(text)


def test_ordinary_text_is_left_alone() -> None:
    text = ("Region = us-west-2; model anthropic.claude-3-haiku-20240307-v1:0 took 812 ms; "
            "commit 3f89296894f48ab4c8b66cd4e9336d2c48a4a5ff; request 1f2e3d4c-aaaa-bbbb-cccc-0123456789ab")
    assert secrets.redact(text) == text


def test_mask_shows_first_and_last_four() -> None:
    assert secrets.mask(ACCESS_KEY) == "AKIA…MPLE"


def test_mask_hides_short_values_entirely() -> None:
    assert secrets.mask("abc123") == "••••" and secrets.mask("") == "••••"


# --------------------------------------------------------------------------- logging


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logs.configure(debug=True, stream=stream)
    try:
        yield stream
    finally:
        logs.unconfigure()
        logs.configure(debug=False, stream=io.StringIO())
        logs.unconfigure()


def test_filter_redacts_message_arguments(log_stream: io.StringIO) -> None:
    logging.getLogger("workshop.test").warning("keys %s %s", ACCESS_KEY, SECRET_KEY)
    out = log_stream.getvalue()
    assert SECRET_KEY not in out and ACCESS_KEY not in out and "AKIA…MPLE" in out


def test_filter_redacts_tracebacks(log_stream: io.StringIO) -> None:
    try:
        raise ValueError(f"bad secret {SECRET_KEY}")
    except ValueError:
        logging.getLogger("workshop.test").exception("failed")
    out = log_stream.getvalue()
    assert "ValueError" in out and SECRET_KEY not in out


def test_configure_twice_installs_one_handler() -> None:
    logs.configure(stream=io.StringIO())
    logs.configure(stream=io.StringIO())
    try:
        ours = [h for h in logging.getLogger().handlers if getattr(h, "_workshop_handler", False)]
        assert len(ours) == 1
    finally:
        logs.unconfigure()


def test_debug_turns_on_the_botocore_wire_loggers(log_stream: io.StringIO) -> None:
    for name in ("botocore.endpoint", "botocore.parsers", "botocore.auth"):
        assert logging.getLogger(name).isEnabledFor(logging.DEBUG)


def test_without_debug_the_wire_loggers_are_quiet() -> None:
    logs.configure(debug=False, stream=io.StringIO())
    try:
        assert not logging.getLogger("botocore.endpoint").isEnabledFor(logging.DEBUG)
    finally:
        logs.unconfigure()


class _FakeSTS(BaseHTTPRequestHandler):
    """Answers any POST with the STS AssumeRole documentation example response."""

    body = f"""<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<AssumedRoleUser><Arn>arn:aws:sts::111122223333:assumed-role/BedrockWorkshopRole/w</Arn>
<AssumedRoleId>AROA3XFRBF535PLBIFPI4:w</AssumedRoleId></AssumedRoleUser>
<Credentials><AccessKeyId>{STS_ACCESS_KEY}</AccessKeyId><SecretAccessKey>{STS_SECRET_KEY}</SecretAccessKey>
<SessionToken>{STS_SESSION_TOKEN}</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials>
</AssumeRoleResult><ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
</ResponseMetadata></AssumeRoleResponse>""".encode()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_sts() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeSTS)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_botocore_wire_log_of_a_signed_call_and_its_credentials_shows_no_secret(
    log_stream: io.StringIO, fake_sts: str
) -> None:
    client = boto3.client(
        "sts", region_name="us-east-1", endpoint_url=fake_sts,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, aws_session_token=STS_SESSION_TOKEN,
    )
    answer = client.assume_role(RoleArn="arn:aws:iam::111122223333:role/BedrockWorkshopRole", RoleSessionName="workshop")
    assert answer["Credentials"]["SessionToken"] == STS_SESSION_TOKEN  # the call really went through
    out = log_stream.getvalue()
    # wire detail is there ...
    assert "Authorization" in out and "Response body" in out and "<AccessKeyId>ASIA…MPLE<" in out
    assert "<SecretAccessKey>[REDACTED]</SecretAccessKey>" in out
    # ... with every secret masked
    for secret in (ACCESS_KEY, SECRET_KEY, STS_ACCESS_KEY, STS_SECRET_KEY, STS_SESSION_TOKEN, STS_SESSION_TOKEN[:40]):
        assert secret not in out
