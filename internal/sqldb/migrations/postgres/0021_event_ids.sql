-- Lethe schema, version 21 (PostgreSQL): events cost a change less (issue 17).
--
-- An event's id now carries its number (evt_ + 12 hex digits of seq + 12
-- random ones), so the events_id index goes: an id is found by its number
-- and checked. Ids of the events written before keep their form and are
-- found by a scan. event_heads is now the tenant's number floor, locked by
-- every emitting transaction and raised when events are pruned: the last
-- number is the newest event's, or the floor when none is newer.
DROP INDEX events_id;
