-- Tables in application schemas with no primary key: rows cannot be addressed safely.
SELECT n.nspname AS schema, c.relname AS table
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'supabase_migrations')
  AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (
      SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p'
  )
ORDER BY 1, 2;
