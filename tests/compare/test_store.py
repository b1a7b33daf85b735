"""The results store: runs, samples, invocation log, migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from workshop.errors import InputError, StoreError
from workshop.results import InvocationResult
from workshop.store import MIGRATIONS, SAMPLE_COLUMNS, Store, metadata

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def result(path: str = "nat", i: int = 0, **kw: object) -> InvocationResult:
    fields: dict[str, object] = {
        "path": path,
        "model_id": "amazon.nova-micro-v1:0",
        "api": "invoke",
        "started_at": datetime(2025, 5, 1, 12, 0, 0, 123456, tzinfo=UTC) + timedelta(seconds=i),
        "client_ms": 100.5 + i,
        "server_ms": 95.0,
        "overhead_ms": 5.5 + i,
        "credentials_ms": 12.25,
        "http_status": 200,
        "input_tokens": 10,
        "output_tokens": 20,
        "request_id": f"req-{i}",
        "output_text": "hello",
        "stop_reason": "end_turn",
    }
    fields.update(kw)
    return InvocationResult(**fields)  # type: ignore[arg-type]


def new_run(store: Store, **kw: object) -> str:
    args: dict[str, object] = {"paths": ["nat", "vpce"], "model_id": "amazon.nova-micro-v1:0", "api": "invoke",
                               "sandbox": True}
    args.update(kw)
    return store.create_run({"samples": 3, "body": {"messages": []}}, **args)  # type: ignore[arg-type]


def test_a_sample_round_trips_with_every_result_field_except_the_body(store: Store) -> None:
    run_id = new_run(store)
    original = result("vpce", 1, ttft_ms=40.25, retries=2, error_hint=None)
    store.add_sample(run_id, original, seq=7, warmup=False, cold=False, keep_text=True)
    df = store.samples(run_id)
    assert list(df.columns) == list(SAMPLE_COLUMNS)
    row = df.iloc[0].to_dict()
    for name in InvocationResult.field_names():
        expected = getattr(original, name)
        got = row[name]
        if name == "started_at":
            assert got.to_pydatetime() == expected
        elif expected is None:
            assert got is None or got != got  # None or NaN
        else:
            assert got == expected, name
    assert (row["seq"], row["warmup"], row["cold"]) == (7, False, False)


def test_output_text_is_kept_only_when_asked(store: Store) -> None:
    run_id = new_run(store)
    store.add_sample(run_id, result(i=0), seq=0)
    store.add_sample(run_id, result(i=1), seq=1, keep_text=True)
    text = store.samples(run_id)["output_text"]
    assert list(text.isna()) == [True, False] and text.iloc[1] == "hello"


def test_warmup_samples_are_stored_but_left_out_unless_asked(store: Store) -> None:
    run_id = new_run(store)
    store.add_sample(run_id, result(i=0), seq=0, warmup=True, cold=True)
    store.add_sample(run_id, result(i=1), seq=1)
    assert list(store.samples(run_id)["seq"]) == [1]
    both = store.samples(run_id, include_warmup=True)
    assert list(both["seq"]) == [0, 1]
    assert list(both["cold"]) == [True, False]


def test_a_run_is_listed_with_its_status_and_counts(store: Store) -> None:
    run_id = new_run(store, label="demo")
    store.add_sample(run_id, result(i=0), seq=0, warmup=True)
    store.add_sample(run_id, result(i=1), seq=1)
    store.add_sample(run_id, result(i=2, error_code="ThrottlingException"), seq=2)
    assert store.get_run(run_id).status == "running"
    store.finish_run(run_id, "complete")
    (info,) = store.list_runs()
    assert (info.id, info.status, info.label, info.sample_count, info.error_count) == (
        run_id, "complete", "demo", 2, 1
    )
    assert info.paths == ("nat", "vpce") and info.sandbox is True
    assert info.ended_at is not None and info.ended_at.tzinfo is not None
    assert store.get_run(run_id) == info


def test_finish_run_rejects_an_unknown_status(store: Store) -> None:
    run_id = new_run(store)
    with pytest.raises(InputError):
        store.finish_run(run_id, "done")


def test_runs_are_listed_newest_first(store: Store) -> None:
    first = new_run(store)
    second = new_run(store)
    assert [r.id for r in store.list_runs()] == [second, first]


def test_an_unknown_run_id_is_an_input_error(store: Store) -> None:
    with pytest.raises(InputError) as err:
        store.get_run("no-such-run")
    assert err.value.field == "RUN_ID"


def test_deleting_a_run_removes_its_samples(store: Store) -> None:
    keep, drop = new_run(store), new_run(store)
    store.add_sample(keep, result(i=0), seq=0)
    store.add_sample(drop, result(i=0), seq=0)
    store.delete_run(drop)
    assert [r.id for r in store.list_runs()] == [keep]
    assert store.samples(drop).empty and len(store.samples(keep)) == 1


def test_secrets_in_settings_never_reach_the_store_or_exports(store: Store) -> None:
    run_id = store.create_run(
        {"samples": 3, "secret_key": SECRET, "nested": {"SessionToken": SECRET, "ok": 1}},
        paths=["nat"], model_id="m", api="invoke", sandbox=True,
    )
    store.add_sample(run_id, result(i=0), seq=0)
    assert store.get_run(run_id).settings == {"samples": 3, "nested": {"ok": 1}}
    for fmt in ("csv", "jsonl"):
        assert SECRET not in store.export_run(run_id, fmt)


def test_settings_that_merely_mention_tokens_are_kept_whole(store: Store) -> None:
    # Redaction by whole key name: max_tokens and maxTokens are request settings, not secrets.
    settings = {"max_tokens": 16, "body": {"max_tokens": 300, "inferenceConfig": {"maxTokens": 64}},
                "api_key": SECRET, "body_extra": {"Authorization": SECRET, "x-api-key": SECRET}}
    run_id = store.create_run(settings, paths=["nat"], model_id="m", api="invoke", sandbox=True)
    kept = store.get_run(run_id).settings
    assert kept == {"max_tokens": 16, "body": {"max_tokens": 300, "inferenceConfig": {"maxTokens": 64}},
                    "body_extra": {}}
    for fmt in ("csv", "jsonl"):
        assert SECRET not in store.export_run(run_id, fmt)


def test_csv_export_has_one_row_per_sample_with_warmup_flagged(store: Store) -> None:
    import csv
    import io

    run_id = new_run(store)
    store.add_sample(run_id, result(i=0), seq=0, warmup=True, cold=True)
    store.add_sample(run_id, result(i=1), seq=1)
    rows = list(csv.DictReader(io.StringIO(store.export_run(run_id, "csv"))))
    assert [(r["seq"], r["warmup"], r["cold"]) for r in rows] == [("0", "True", "True"), ("1", "False", "False")]
    assert rows[1]["started_at"] == "2025-05-01T12:00:01.123456+00:00"


def test_jsonl_export_is_a_run_line_then_sample_lines(store: Store) -> None:
    run_id = new_run(store)
    store.add_sample(run_id, result(i=0, ttft_ms=None), seq=0)
    lines = [json.loads(line) for line in store.export_run(run_id, "jsonl").splitlines()]
    assert lines[0]["record"] == "run" and lines[0]["id"] == run_id
    assert lines[0]["settings"]["body"] == {"messages": []}
    assert lines[1]["record"] == "sample" and lines[1]["ttft_ms"] is None and lines[1]["client_ms"] == 100.5


def test_an_unknown_export_format_is_an_input_error(store: Store) -> None:
    with pytest.raises(InputError):
        store.export_run(new_run(store), "xml")


def log_record(i: int, *, model: str = "amazon.nova-micro-v1:0", op: str = "InvokeModel") -> dict[str, object]:
    stamp = datetime(2025, 5, 1, 12, 0, tzinfo=UTC) + timedelta(minutes=i)
    return {"schemaType": "ModelInvocationLog", "timestamp": stamp.isoformat().replace("+00:00", "Z"),
            "requestId": f"r{i}", "operation": op, "modelId": model, "input": {"inputTokenCount": 3}}


def test_invocation_log_records_are_filtered_and_newest_first(store: Store) -> None:
    store.add_invocation_log(log_record(0), participant="alice", path="nat")
    store.add_invocation_log(log_record(1, op="Converse"), participant="alice", path="vpce")
    store.add_invocation_log(log_record(2, model="other"), participant="bob", path="nat")
    assert [r["request_id"] for r in store.invocation_log()] == ["r2", "r1", "r0"]
    assert [r["request_id"] for r in store.invocation_log(participant="alice")] == ["r1", "r0"]
    assert [r["request_id"] for r in store.invocation_log(path="nat", model_id="amazon.nova-micro-v1:0")] == ["r0"]
    assert [r["request_id"] for r in store.invocation_log(operation="Converse")] == ["r1"]
    since = datetime(2025, 5, 1, 12, 1, tzinfo=UTC)
    assert [r["request_id"] for r in store.invocation_log(since=since, limit=1)] == ["r2"]
    assert store.invocation_log(participant="bob")[0]["record"] == log_record(2, model="other")


def test_invocations_are_counted_per_participant_and_since(store: Store) -> None:
    for i in range(3):
        store.add_invocation_log(log_record(i), participant="alice", path="nat")
    store.add_invocation_log(log_record(3), participant="bob", path="nat")
    assert store.count_invocations("alice") == 3
    assert store.count_invocations("alice", since=datetime(2025, 5, 1, 12, 1, tzinfo=UTC)) == 2
    assert store.count_invocations("carol") == 0


def test_opening_records_every_migration_once(store_url: str) -> None:
    with Store.open(store_url) as first:
        assert first.applied_migrations() == [name for name, _ in MIGRATIONS]
    with Store.open(store_url) as again:
        assert again.migrate() == []


def test_the_migrated_schema_matches_the_tables_the_queries_use(store: Store) -> None:
    inspector = sa.inspect(store.engine)
    for table in metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name


def test_an_older_database_is_upgraded_on_open_and_keeps_its_data(store_url: str) -> None:
    old = Store.open(store_url, migrate=False)
    assert old.migrate(upto="m001_runs_and_samples") == ["m001_runs_and_samples"]
    with old.engine.begin() as conn:  # rows written by the first schema, without later columns
        conn.execute(sa.text(
            "INSERT INTO runs (id, created_at, status, settings, paths, model_id, api, sandbox) "
            "VALUES ('old-run', '2025-01-01 00:00:00', 'complete', '{}', '[\"nat\"]', 'm', 'invoke', :f)"
        ), {"f": False})
        conn.execute(sa.text(
            "INSERT INTO samples (run_id, seq, path, warmup, cold, model_id, api, started_at, client_ms, retries) "
            "VALUES ('old-run', 0, 'nat', :f, :f, 'm', 'invoke', '2025-01-01 00:00:01', 12.5, 0)"
        ), {"f": False})
    old.close()
    with Store.open(store_url) as upgraded:
        assert upgraded.applied_migrations() == [name for name, _ in MIGRATIONS]
        assert upgraded.get_run("old-run").notes is None
        assert list(upgraded.samples("old-run")["client_ms"]) == [12.5]
        upgraded.add_invocation_log(log_record(0), participant="p", path="nat")  # a table m002 added
        assert upgraded.count_invocations("p") == 1


def test_threads_writing_at_once_lose_no_sample(store: Store) -> None:
    run_id = new_run(store)
    start = threading.Barrier(8)

    def writer(k: int) -> None:
        start.wait()
        for i in range(50):
            store.add_sample(run_id, result(i=i), seq=k * 1000 + i)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.samples(run_id)) == 400


WRITER = """
import sys
from workshop.results import InvocationResult
from workshop.store import Store
url, run_id, base = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.stdin.readline()  # start together
with Store.open(url) as s:
    for i in range(100):
        s.add_sample(run_id, InvocationResult(path="nat", model_id="m", api="invoke", client_ms=1.0), seq=base + i)
"""


def test_processes_writing_to_one_store_at_once_lose_no_sample(store_url: str, store: Store) -> None:
    run_id = new_run(store)
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, store_url, run_id, str(k * 1000)],
                         stdin=subprocess.PIPE, env=env)
        for k in range(4)
    ]
    for p in procs:
        p.stdin.write(b"go\n")  # type: ignore[union-attr]
        p.stdin.close()  # type: ignore[union-attr]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    assert len(store.samples(run_id)) == 400


def test_a_run_left_running_by_a_dead_process_is_marked_incomplete(store: Store) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run_id = new_run(store)
    live_id = new_run(store)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE runs SET owner = :o WHERE id = :i"),
                     {"o": f"{os.uname().nodename}:{dead.pid}", "i": run_id})
    assert store.mark_stale_runs() == [run_id]
    assert store.get_run(run_id).status == "incomplete"
    assert store.get_run(live_id).status == "running"  # this process is alive


def test_a_run_owned_by_another_host_is_stale_only_after_a_quiet_period(store: Store) -> None:
    run_id = new_run(store)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE runs SET owner = 'elsewhere:1' WHERE id = :i"), {"i": run_id})
    assert store.mark_stale_runs() == []
    assert store.mark_stale_runs(stale_after=timedelta(0)) == [run_id]


def test_the_default_store_is_a_sqlite_file_in_a_private_data_folder(tmp_path) -> None:
    from workshop.dirs import data_dir

    with Store.open() as s:
        assert s.url.endswith("/workshop.db") and s.is_sqlite
        with s.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    assert stat.S_IMODE(data_dir().stat().st_mode) == 0o700
    assert (data_dir() / "workshop.db").exists()


def test_the_environment_url_overrides_the_config_url(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WORKSHOP_STORE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    with Store.open(config_url=f"sqlite:///{tmp_path / 'config.db'}") as s:
        assert s.url.endswith("env.db")
    monkeypatch.delenv("WORKSHOP_STORE_URL")
    with Store.open(config_url=f"sqlite:///{tmp_path / 'config.db'}") as s:
        assert s.url.endswith("config.db")


@pytest.mark.parametrize("url", ["not a url", "mysql://u@127.0.0.1/db", "postgresql+nosuchdriver://u@127.0.0.1/db"])
def test_a_bad_store_url_is_a_store_error_naming_the_field(url: str) -> None:
    with pytest.raises(StoreError) as err:
        Store.open(url)
    assert err.value.field == "StoreURL" and err.value.fix


def test_an_unreachable_server_is_a_store_error_without_the_password() -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(StoreError) as err:
        Store.open(f"postgresql+psycopg://workshop:{SECRET.replace('/', '')}@127.0.0.1:{port}/results")
    assert err.value.field == "StoreURL"
    assert SECRET.replace("/", "") not in str(err.value)
    assert "127.0.0.1" in str(err.value)
