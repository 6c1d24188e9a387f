-- Tags, by hand and by rule; RFM segments for lookup.

-- A tag a tenant uses. A tag with a rule is also given to every customer with an order the rule
-- matches: an order of the product category, to the destination when one is named.
CREATE TABLE tags (
    name                    text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    description             text CHECK (length(description) BETWEEN 1 AND 500),
    rule_product_category   text CHECK (length(rule_product_category) BETWEEN 1 AND 100),
    rule_destination        text CHECK (length(rule_destination) BETWEEN 1 AND 200),
    created_at              timestamptz NOT NULL DEFAULT now(),
    CHECK (rule_destination IS NULL OR rule_product_category IS NOT NULL)
);
CREATE INDEX tags_rule_idx ON tags (rule_product_category) WHERE rule_product_category IS NOT NULL;

-- Which customers carry which tags, and whether a person or a rule put it there.
CREATE TABLE customer_tags (
    customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    tag         text NOT NULL REFERENCES tags (name) ON DELETE CASCADE,
    source      text NOT NULL CHECK (source IN ('manual', 'rule')),
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, tag)
);
CREATE INDEX customer_tags_tag_idx ON customer_tags (tag, customer_id);

-- Orders by category, for applying a new tag rule to the orders already recorded.
CREATE INDEX orders_category_idx ON orders (product_category) WHERE product_category IS NOT NULL;

-- Customers by RFM segment, for lists and segments.
CREATE INDEX customers_rfm_segment_idx ON customers (rfm_segment) WHERE rfm_segment IS NOT NULL;
