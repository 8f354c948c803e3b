-- Lethe schema, version 5 (SQLite): which content carries which tag, so a
-- tag lists its content. A content item's tags name tags (ignoring case);
-- writing content creates the tags it names that do not exist yet.
-- Existing content is linked to the tags that exist now (lower() folds
-- ASCII only here: other names are linked when their content is next written).

CREATE TABLE content_tags (
    tenant_id  TEXT NOT NULL,
    tag_id     TEXT NOT NULL,
    content_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, tag_id, content_id)
);
CREATE INDEX content_tags_content ON content_tags (tenant_id, content_id);

INSERT INTO content_tags (tenant_id, tag_id, content_id)
SELECT DISTINCT c.tenant_id, t.id, c.id
FROM contents c, json_each(c.tags) j
JOIN tags t ON t.tenant_id = c.tenant_id AND t.name_key = lower(trim(j.value));
