-- The app's database users, created and repaired idempotently by the master user (psql script).
-- psql variables: owner, user_1, user_2, login (one of the two), master, dbname; LOGIN_PASSWORD from the environment.
-- `owner` (NOLOGIN) owns the `public` schema and everything in it; `user_1` and `user_2` are the two login users
-- that credential rotation alternates between. Both log in as members of `owner` with `SET role` to it, so every
-- object a migration creates is owned by `owner`, whichever of the two ran it.
\set ON_ERROR_STOP on
\getenv login_password LOGIN_PASSWORD
SELECT :'login' IN (:'user_1', :'user_2') AS known_login \gset
\if :known_login
\else
  \echo 'the login user' :'login' 'is neither' :'user_1' 'nor' :'user_2'
  DO $$BEGIN RAISE EXCEPTION 'unknown login user'; END$$;
\endif
SET client_min_messages = warning;

SELECT format('CREATE ROLE %I NOLOGIN', :'owner')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN', name) FROM unnest(ARRAY[:'user_1', :'user_2']) AS name
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name) \gexec
-- The master user must be a member to hand objects over to the owner (PostgreSQL 16 no longer makes it one).
GRANT :"owner" TO CURRENT_USER;
GRANT :"owner" TO :"user_1", :"user_2";
ALTER ROLE :"user_1" NOCREATEDB NOCREATEROLE;
ALTER ROLE :"user_2" NOCREATEDB NOCREATEROLE;
ALTER ROLE :"user_1" SET role = :'owner';
ALTER ROLE :"user_2" SET role = :'owner';
ALTER ROLE :"login" WITH LOGIN PASSWORD :'login_password';

GRANT CONNECT, TEMPORARY, CREATE ON DATABASE :"dbname" TO :"owner";
ALTER SCHEMA public OWNER TO :"owner";

-- Objects the master user created in `public` (migrations that ran before this bootstrap) move to the owner.
-- Sequences that belong to a column follow their table; extension members stay with their extension.
SELECT format('ALTER %s %I.%I OWNER TO %I',
              CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                             WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
              n.nspname, c.relname, :'owner')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = :'master')
   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                     AND (d.deptype = 'e' OR (c.relkind = 'S' AND d.deptype IN ('a', 'i')))) \gexec
SELECT format('ALTER %s %I.%I OWNER TO %I', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
              n.nspname, t.typname, :'owner')
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')
   AND t.typowner = (SELECT oid FROM pg_roles WHERE rolname = :'master')
   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
                     AND d.deptype = 'e') \gexec
SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, :'owner')
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'public'
   AND p.proowner = (SELECT oid FROM pg_roles WHERE rolname = :'master')
   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                     AND d.deptype = 'e') \gexec
