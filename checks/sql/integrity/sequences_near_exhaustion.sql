-- Sequences that have used more than 90% of their range: inserts will soon fail.
SELECT schemaname AS schema, sequencename AS sequence, last_value, max_value
FROM pg_sequences
WHERE last_value IS NOT NULL
  AND increment_by > 0
  AND last_value::numeric > 0.9 * max_value::numeric
ORDER BY 1, 2;
