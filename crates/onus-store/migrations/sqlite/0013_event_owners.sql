-- Opening an event looks up, for the bound activity and the opening one, the owners of the
-- matching obligations in every organisation taking part (onus_store::events::open_event).
-- The table's unique key starts with org_id, so for a provider publishing to a thousand
-- customers that lookup scanned every obligation of the instance. Only obligations with an
-- owner are indexed: most have none. (Version 13, the events issue's number: no other
-- branch's migration takes it.)
CREATE INDEX obligations_owned ON obligations(model_pk, activity_id) WHERE owner IS NOT NULL;
