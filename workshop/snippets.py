"""The same call as code: a boto3 program and AWS CLI commands for a path, model, body and API.

"View as code" on step 3 shows these; they are plain text built from the path's settings,
so the console, the docs and a test can all produce them. No secret is ever written out:
credentials come from the environment, a profile or AssumeRole, and an ExternalId from
``$WORKSHOP_EXTERNAL_ID``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["boto3_snippet", "cli_command"]

_CALLS = {
    "invoke": ("invoke_model", "invoke-model"),
    "invoke-stream": ("invoke_model_with_response_stream", "invoke-model-with-response-stream"),
    "converse": ("converse", "converse"),
    "converse-stream": ("converse_stream", "converse-stream"),
}


def _session_lines(path: Any, sandbox: bool) -> list[str]:
    """How the snippet gets credentials for the path's mode; no secret is ever written out."""
    creds = path.credentials
    lines: list[str] = []
    if sandbox:
        lines.append("# Sandbox: export AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY = AWS's documented example")
        lines.append("# pair (docs/console.md); the sandbox accepts only those keys.")
    if creds.kind == "profile":
        lines.append(f'session = boto3.Session(profile_name="{creds.profile or "<profile>"}")')
    elif creds.kind == "access-keys":
        lines.append("# Long-lived keys come from the environment, never from code (discouraged mode).")
        lines.append("session = boto3.Session()  # AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY")
    else:
        lines.append("session = boto3.Session()  # default chain: instance role, env, ~/.aws")
    if creds.kind in ("assume-role", "access-keys"):
        sts_args = f'"sts", region_name="{path.region}"'
        if creds.sts_endpoint:
            sts_args += f', endpoint_url="{creds.sts_endpoint}"'
        ext = ', ExternalId=os.environ["WORKSHOP_EXTERNAL_ID"]' if creds.external_id else ""
        lines += [
            f"sts = session.client({sts_args})",
            "creds = sts.assume_role(",
            f'    RoleArn="{creds.role_arn or "<role ARN>"}", RoleSessionName="{creds.session_name}"{ext},',
            ')["Credentials"]',
            "session = boto3.Session(",
            '    aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],',
            '    aws_session_token=creds["SessionToken"],',
            ")",
        ]
    return lines


def boto3_snippet(path: Any, model_id: str, body: dict, api: str, *, sandbox: bool) -> str:
    """The equivalent boto3 program for ``path`` (endpoint, region, model, body; no secrets)."""
    import json

    method = _CALLS[api][0]
    endpoint = path.endpoint_url
    client_args = f'"bedrock-runtime", region_name="{path.region}"'
    if endpoint:
        client_args += f', endpoint_url="{endpoint}"'
    lines = ["import json", *(["import os"] if path.credentials.external_id else []), "", "import boto3", ""]
    lines += _session_lines(path, sandbox)
    lines += [f"client = session.client({client_args})", ""]
    lines.append("body = " + json.dumps(body, indent=4, ensure_ascii=False))
    if api == "invoke":
        lines += [f'response = client.{method}(modelId="{model_id}", body=json.dumps(body))',
                  'print(json.loads(response["body"].read()))']
    elif api == "invoke-stream":
        lines += [f'response = client.{method}(modelId="{model_id}", body=json.dumps(body))',
                  'for event in response["body"]:',
                  '    print(json.loads(event["chunk"]["bytes"]))']
    elif api == "converse":
        lines += [f'response = client.{method}(modelId="{model_id}", **body)',
                  'print(response["output"]["message"]["content"][0]["text"])']
    else:
        lines += [f'response = client.{method}(modelId="{model_id}", **body)',
                  'for event in response["stream"]:',
                  '    if "contentBlockDelta" in event:',
                  '        print(event["contentBlockDelta"]["delta"].get("text", ""), end="", flush=True)']
    return "\n".join(lines) + "\n"


def cli_command(path: Any, model_id: str, body: dict, api: str, *, sandbox: bool) -> str:
    """The equivalent AWS CLI commands (a body file, then the call); no secrets."""
    import json

    creds = path.credentials
    lines: list[str] = []
    if sandbox:
        lines.append("# Sandbox: export AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY = AWS's documented example pair")
    if api.endswith("-stream"):
        lines.append("# The AWS CLI does not print event streams: this is the non-streaming equivalent.")
    common = f"--region {path.region}"
    if creds.kind == "profile":
        common += f" --profile {creds.profile or '<profile>'}"
    if creds.kind in ("assume-role", "access-keys"):
        sts = f" --endpoint-url {creds.sts_endpoint}" if creds.sts_endpoint else ""
        ext = ' --external-id "$WORKSHOP_EXTERNAL_ID"' if creds.external_id else ""
        lines += [
            "# Temporary credentials for the role (read into the environment, never written to a file):",
            f"read AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN < <(aws sts assume-role{sts} "
            f"--region {path.region} \\",
            f"    --role-arn {creds.role_arn or '<role ARN>'} --role-session-name {creds.session_name}{ext} \\",
            "    --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)",
            "export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN",
        ]
    endpoint = f" \\\n    --endpoint-url {path.endpoint_url}" if path.endpoint_url else ""
    if api.startswith("converse"):
        request = {"modelId": model_id, **body}
        lines += ["cat > request.json <<'EOF'", json.dumps(request, indent=2, ensure_ascii=False), "EOF",
                  f"aws bedrock-runtime converse {common}{endpoint} \\\n    --cli-input-json file://request.json"]
    else:
        lines += ["cat > body.json <<'EOF'", json.dumps(body, indent=2, ensure_ascii=False), "EOF",
                  f"aws bedrock-runtime invoke-model {common}{endpoint} \\\n    --model-id {model_id} "
                  "--body fileb://body.json response.json",
                  "cat response.json"]
    return "\n".join(lines) + "\n"
