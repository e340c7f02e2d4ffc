"""The database-users script, run for real: the exact shell of the psql container against a local PostgreSQL set
up like RDS (the master user has CREATEROLE and owns the database, but is no superuser; passwords are checked)."""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from components.db_app_user import SQL_FILE, users_script

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
PORT = "55439"
MASTER, MASTER_PASSWORD, DATABASE = "nodeapi", "master-pw", "app"

pytestmark = pytest.mark.skipif(
    not (POSTGRES_BIN / "postgres").exists() or shutil.which("psql") is None or os.geteuid() != 0,
    reason="needs the local PostgreSQL 15 binaries, psql, and root (to run the server as `nobody`)")


def as_nobody(*command: str) -> None:
    subprocess.run(["runuser", "-u", "nobody", "--", *command], check=True, capture_output=True)


@pytest.fixture(scope="module")
def server():
    """A throwaway cluster on a unix socket: `postgres` trusted locally, everyone else by SCRAM password."""
    root = Path(tempfile.mkdtemp(prefix="nodeapi-pg-"))  # pytest's own tmp dirs are root-only
    shutil.chown(root, "nobody")
    data = root / "data"
    as_nobody(str(POSTGRES_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust")
    (data / "pg_hba.conf").write_text("local all postgres trust\nlocal all all scram-sha-256\n")
    as_nobody(str(POSTGRES_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
              f"-k {root} -p {PORT} -c listen_addresses=''", "start")
    try:
        run_sql(root, "postgres", None, "postgres",
                f"CREATE ROLE {MASTER} LOGIN CREATEROLE CREATEDB PASSWORD '{MASTER_PASSWORD}'")
        run_sql(root, "postgres", None, "postgres", f"CREATE DATABASE {DATABASE} OWNER {MASTER}")
        # What migrations that ran as the master user before the app users existed left behind.
        run_sql(root, MASTER, MASTER_PASSWORD, DATABASE,
                'CREATE TYPE "Role" AS ENUM (\'admin\', \'member\');'
                'CREATE TABLE users (id serial PRIMARY KEY, role "Role");'
                "CREATE TABLE items (id int GENERATED ALWAYS AS IDENTITY, name text);"
                "CREATE VIEW user_ids AS SELECT id FROM users;"
                "CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 42';")
        yield root
    finally:
        as_nobody(str(POSTGRES_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop")
        shutil.rmtree(root, ignore_errors=True)


def run_sql(socket: Path, user: str, password: str | None, database: str, sql: str) -> str:
    env = {"PATH": os.environ["PATH"], "PGHOST": str(socket), "PGPORT": PORT, "PGUSER": user, "PGDATABASE": database,
           **({"PGPASSWORD": password} if password else {})}
    done = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-c", sql], env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise AssertionError(done.stderr)
    return done.stdout.strip()


def container(socket: Path, login: str, password: str) -> subprocess.CompletedProcess:
    """The container's command with the container's environment (TLS off: the local server has none)."""
    env = {"PATH": os.environ["PATH"], "PGHOST": str(socket), "PGPORT": PORT, "PGDATABASE": DATABASE,
           "PGUSER": MASTER, "PGPASSWORD": MASTER_PASSWORD, "PGSSLMODE": "disable", "APP_OWNER": "app",
           "APP_USER_1": "app_1", "APP_USER_2": "app_2", "LOGIN_USER": login, "LOGIN_PASSWORD": password}
    return subprocess.run(["sh", "-c", users_script(SQL_FILE.read_text())], env=env, capture_output=True, text=True)


def test_first_run_creates_a_least_privilege_owner_and_its_login_users(server):
    done = container(server, "app_1", "first-Passw0rd")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "app_1 logs in and works as app"
    assert run_sql(server, "postgres", None, DATABASE,
                   "SELECT string_agg(format('%s:%s%s%s%s', rolname, rolsuper, rolcreaterole, rolcreatedb, "
                   "rolcanlogin), ' ' ORDER BY rolname) FROM pg_roles WHERE rolname IN ('app', 'app_1', 'app_2')"
                   ) == "app:ffffalse app_1:ffftrue app_2:ffftrue".replace("false", "f").replace("true", "t")
    owners = run_sql(server, "postgres", None, DATABASE,
                     "SELECT string_agg(n.nspname || '.' || c.relname || '=' || pg_get_userbyid(c.relowner), ' ' "
                     "ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                     "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'S')")
    assert owners == ("public.items=app public.items_id_seq=app public.user_ids=app public.users=app "
                      "public.users_id_seq=app")
    assert run_sql(server, "postgres", None, DATABASE,
                   "SELECT pg_get_userbyid(t.typowner) || ' ' || pg_get_userbyid(p.proowner) || ' ' || "
                   "pg_get_userbyid(n.nspowner) FROM pg_type t, pg_proc p, pg_namespace n "
                   "WHERE t.typname = 'Role' AND p.proname = 'answer' AND n.nspname = 'public'") == "app app app"


def test_the_app_user_migrates_as_the_owner_and_cannot_do_more(server):
    assert container(server, "app_1", "first-Passw0rd").returncode == 0
    assert run_sql(server, "app_1", "first-Passw0rd", DATABASE,
                   "ALTER TABLE users ADD COLUMN IF NOT EXISTS email text;"
                   "CREATE TABLE IF NOT EXISTS orders (id serial PRIMARY KEY);"
                   "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'orders'") == "app"
    with pytest.raises(AssertionError, match="permission denied to create role"):
        run_sql(server, "app_1", "first-Passw0rd", DATABASE, "CREATE ROLE intruder")
    with pytest.raises(AssertionError, match="password authentication failed"):
        run_sql(server, "app_2", "anything", DATABASE, "SELECT 1")  # the other user has no password yet


def test_rotation_sets_the_other_user_up_and_the_first_keeps_working(server):
    assert container(server, "app_1", "first-Passw0rd").returncode == 0
    done = container(server, "app_2", "second-Passw0rd")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "app_2 logs in and works as app"
    # Tasks still running with the previous user keep connecting until the redeploy replaces them...
    assert run_sql(server, "app_1", "first-Passw0rd", DATABASE, "SELECT current_user") == "app"
    # ...and the new user owns, through the owner role, what the previous one created.
    assert run_sql(server, "app_2", "second-Passw0rd", DATABASE,
                   "CREATE TABLE IF NOT EXISTS orders (id serial PRIMARY KEY);"
                   "ALTER TABLE orders ADD COLUMN IF NOT EXISTS total numeric; SELECT 'ok'") == "ok"


def test_running_again_is_idempotent(server):
    first = container(server, "app_1", "first-Passw0rd")
    again = container(server, "app_1", "first-Passw0rd")
    assert (first.returncode, again.returncode) == (0, 0)
    assert again.stdout == first.stdout


def test_a_login_user_that_is_not_one_of_the_two_fails(server):
    done = container(server, "nodeapi", "x")
    assert done.returncode == 3
    assert "the login user 'nodeapi' is neither 'app_1' nor 'app_2'" in done.stdout
    assert "unknown login user" in done.stderr


def test_a_wrong_master_password_fails_before_anything(server):
    env_script = users_script(SQL_FILE.read_text())
    env = {"PATH": os.environ["PATH"], "PGHOST": str(server), "PGPORT": PORT, "PGDATABASE": DATABASE,
           "PGUSER": MASTER, "PGPASSWORD": "rotated-by-rds", "PGSSLMODE": "disable", "APP_OWNER": "app",
           "APP_USER_1": "app_1", "APP_USER_2": "app_2", "LOGIN_USER": "app_1", "LOGIN_PASSWORD": "x"}
    started = time.monotonic()
    done = subprocess.run(["sh", "-c", env_script], env=env, capture_output=True, text=True)
    assert done.returncode != 0 and "password authentication failed" in done.stderr
    assert time.monotonic() - started < 10
