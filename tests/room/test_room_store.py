"""The room's store: names on every row, migrations when fifty consoles open at once, the
encrypted URL, the small pool."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.room.conftest import MODEL, finished_run, log_call, sample
from workshop.store import MIGRATIONS, Store


def test_a_run_its_samples_and_its_log_records_say_whose_they_are(store) -> None:
    run_id = store.create_run({"region": "eu-west-1"}, paths=["nat"], model_id=MODEL, api="invoke", sandbox=True,
                              participant="Ana", az="eu-west-1b")
    store.add_samples(run_id, [(sample("nat", 5.0, datetime(2026, 3, 2, tzinfo=UTC)), 0, False, False)])
    log_call(store, "Ana", error="ThrottlingException")
    info = store.get_run(run_id)
    assert (info.participant, info.region, info.az) == ("Ana", "eu-west-1", "eu-west-1b")
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT participant FROM samples")).scalars().all() == ["Ana"]
        row = conn.execute(sa.text("SELECT participant, error_code, entry_id FROM invocation_log")).one()
    assert row.participant == "Ana" and row.error_code == "ThrottlingException" and len(row.entry_id) == 36


def test_samples_of_a_run_made_by_another_process_get_its_participant(store_url: str) -> None:
    with Store.open(store_url) as first:
        run_id = first.create_run({}, paths=["nat"], model_id=MODEL, api="invoke", sandbox=True, participant="Bo")
    with Store.open(store_url) as second:  # knows nothing of the run but its id
        second.add_samples(run_id, [(sample("nat", 5.0, datetime(2026, 3, 2, tzinfo=UTC)), 0, False, False)])
        with second.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT participant FROM samples")).scalar_one() == "Bo"


def test_each_participant_lists_only_their_own_runs_and_log(store) -> None:
    mine = finished_run(store, "Ana", {"nat": [1.0] * 5})
    theirs = finished_run(store, "Bo", {"nat": [1.0] * 5})
    legacy = store.create_run({}, paths=["nat"], model_id=MODEL, api="invoke", sandbox=True)  # before names
    unnamed = finished_run(store, "cli:alice", {"nat": [1.0] * 5})
    log_call(store, "Ana")
    log_call(store, "Bo")
    assert [r.id for r in store.list_runs(visible_to="Ana")] == [mine]
    assert {r.id for r in store.list_runs(visible_to="console:xyz")} == {legacy, unnamed}
    assert {r.id for r in store.list_runs()} == {mine, theirs, legacy, unnamed}
    assert [r["participant"] for r in store.invocation_log(visible_to="Bo")] == ["Bo"]


def test_an_older_store_gets_the_participant_columns_and_its_error_codes(store_url: str) -> None:
    old = Store.open(store_url, migrate=False)
    old.migrate(upto="m005_sample_bytes_and_first_byte")
    with old.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO invocation_log (timestamp, participant, path, model_id, operation, request_id, record) "
            "VALUES ('2026-01-01 00:00:00', 'cli:alice', 'nat', 'm', 'InvokeModel', 'r', :rec)"
        ), {"rec": '{"errorCode": "AccessDeniedException"}'})
        conn.execute(sa.text(
            "INSERT INTO runs (id, created_at, status, settings, paths, model_id, api, sandbox) "
            "VALUES ('old', '2026-01-01 00:00:00', 'complete', :s, '[\"nat\"]', 'm', 'invoke', :f)"
        ), {"s": '{"region": "ap-south-1"}', "f": False})
    old.close()
    with Store.open(store_url) as upgraded:
        assert "m006_participants" in upgraded.applied_migrations()
        assert upgraded.applied_migrations().index("m007_run_path_stats") == \
            upgraded.applied_migrations().index("m006_participants") + 1
        assert upgraded.invocation_log()[0]["error_code"] == "AccessDeniedException"
        assert upgraded.get_run("old").region == "ap-south-1"


@pytest.mark.postgres
def test_fifty_consoles_opening_a_fresh_room_at_once_migrate_it_once(pg_url: str) -> None:
    start = threading.Barrier(50)
    errors: list[BaseException] = []

    def console() -> None:
        try:
            start.wait()
            with Store.open(pg_url) as store:
                store.create_run({}, paths=["nat"], model_id=MODEL, api="invoke", sandbox=True, participant="p")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=console) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Store.open(pg_url) as store:
        with store.engine.connect() as conn:
            names = conn.execute(sa.text("SELECT name FROM schema_migrations")).scalars().all()
            runs = conn.execute(sa.text("SELECT count(*) FROM runs")).scalar_one()
        assert sorted(names) == sorted(name for name, _ in MIGRATIONS)  # each once
        assert runs == 50


@pytest.mark.postgres
def test_consoles_in_separate_processes_migrate_a_fresh_room_once(pg_url: str) -> None:
    script = ("import sys; from workshop.store import Store; sys.stdin.readline(); "
              "s = Store.open(sys.argv[1]); print(len(s.applied_migrations())); s.close()")
    procs = [subprocess.Popen([sys.executable, "-c", script, pg_url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True) for _ in range(5)]
    for p in procs:  # every process has imported what it needs: release them together
        p.stdin.write("go\n")
        p.stdin.flush()
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 5
    assert {o.strip() for o, _ in outs} == {str(len(MIGRATIONS))}
    with Store.open(pg_url) as store, store.engine.connect() as conn:
        counts = conn.execute(sa.text("SELECT name, count(*) FROM schema_migrations GROUP BY name")).all()
    assert {n for _, n in counts} == {1} and len(counts) == len(MIGRATIONS)


@pytest.mark.postgres
def test_a_console_keeps_few_connections_to_the_room(pg_url: str) -> None:
    from workshop.store import PG_CONNECTIONS_PER_PROCESS

    with Store.open(pg_url) as store:
        run_id = store.create_run({}, paths=["nat"], model_id=MODEL, api="invoke", sandbox=True, participant="p")
        threads = [threading.Thread(target=lambda k=k: [log_call(store, "p") for _ in range(20)]) for k in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert store.count_invocations("p") == 240
        assert store.engine.pool.checkedout() == 0
        assert store.engine.pool.size() + store.engine.pool._max_overflow == PG_CONNECTIONS_PER_PROCESS
        assert store.get_run(run_id).participant == "p"


def test_the_store_url_may_be_encrypted_whole_or_its_password_only(tmp_path, monkeypatch, capsys) -> None:
    from workshop import secrets
    from workshop.cli import main
    from workshop.errors import StoreError
    from workshop.store import decrypt_url

    key = secrets.generate_key().decode()
    monkeypatch.setenv(secrets.KEY_ENV, key)
    url = f"sqlite:///{tmp_path / 'room.db'}"
    assert main(["room", "--encrypt-url", url]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("enc:") and url not in token
    with Store.open(token) as store:
        assert store.url == url
    pg = "postgresql+psycopg://room:{}@db.example:5432/room"
    sealed = pg.format(secrets.load_keyring().encrypt("s3cret-pass"))
    assert decrypt_url(sealed).password == "s3cret-pass"
    with pytest.raises(StoreError) as err:
        decrypt_url("postgresql+psycopg://room:s3cret-pass@@::nonsense")
    assert "s3cret-pass" not in str(err.value)
