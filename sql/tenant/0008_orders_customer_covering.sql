-- A customer's orders by time, now carrying each order's amount and status: the window figures a
-- tier decision needs (how many orders count, what they came to, the last one) are read from this
-- index alone. A re-evaluation or a preview of every member walks it in customer order and
-- aggregates each customer as it goes, beside the members in the same order, with no hash table
-- of a million customers and without touching the orders themselves; one member's figures are a
-- few index entries. The key is unchanged, so the timeline and every other use keep their plans.
DROP INDEX orders_customer_idx;
CREATE INDEX orders_customer_idx ON orders (customer_id, ordered_at DESC, id DESC) INCLUDE (amount_minor, status);
