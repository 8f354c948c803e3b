-- Lethe schema, version 5 (PostgreSQL): which content carries which tag, so
-- a tag lists its content. A content item's tags name tags (ignoring case);
-- writing content creates the tags it names that do not exist yet.
-- Existing content is linked to the tags that exist now.

CREATE TABLE content_tags (
    tenant_id  TEXT COLLATE "C" NOT NULL,
    tag_id     TEXT COLLATE "C" NOT NULL,
    content_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, tag_id, content_id)
);
CREATE INDEX content_tags_content ON content_tags (tenant_id, content_id);

INSERT INTO content_tags (tenant_id, tag_id, content_id)
SELECT DISTINCT c.tenant_id, t.id, c.id
FROM contents c
CROSS JOIN LATERAL jsonb_array_elements_text(c.tags::jsonb) AS j(name)
JOIN tags t ON t.tenant_id = c.tenant_id AND t.name_key = lower(trim(j.name));
