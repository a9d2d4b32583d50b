-- Skipped items are bounded per run and reason (activities/store/inventory/sink.ts): a run keeps the first
-- items of each reason and only counts the rest, in one row per reason whose item is '' and whose detail is
-- the number. A count cannot tell a retried batch by its items' keys, so each batch's content is recorded
-- as a chunk, as usage pages are.
ALTER TABLE inventory_usage_chunks DROP CONSTRAINT inventory_usage_chunks_stream_check;
ALTER TABLE inventory_usage_chunks
  ADD CONSTRAINT inventory_usage_chunks_stream_check CHECK (stream IN ('usage', 'detail', 'skipped'));
