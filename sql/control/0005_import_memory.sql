-- Bulk imports stage their lines in temporary tables: give the application role's sessions room to
-- keep them in memory (allocated only by sessions that use temporary tables). It applies to new
-- connections and can only be set before a session first touches a temporary table.
DO $$
BEGIN
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET temp_buffers = %L', current_user, current_database(), '256MB');
END
$$;
