//! The tag database's persistence: graphite-web's own tables (`tags_series`, `tags_tag`,
//! `tags_tagvalue`, `tags_seriestag`) in its SQLite file (`STORAGE_DIR/graphite.db`), read at
//! start and written on every registration, so a user can switch between the reference and
//! this server in place.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

use super::index::TagIndex;
use super::TagError;

/// The reference's schema (Django's `tags` migration 0001 on SQLite), created when absent.
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS "tags_series" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "hash" varchar(64) NOT NULL UNIQUE, "path" text NOT NULL);
CREATE TABLE IF NOT EXISTS "tags_tag" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "tag" varchar(191) NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS "tags_tagvalue" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "value" varchar(191) NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS "tags_seriestag" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "series_id" integer NOT NULL REFERENCES "tags_series" ("id") DEFERRABLE INITIALLY DEFERRED, "tag_id" integer NOT NULL REFERENCES "tags_tag" ("id") DEFERRABLE INITIALLY DEFERRED, "value_id" integer NOT NULL REFERENCES "tags_tagvalue" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE INDEX IF NOT EXISTS "tags_seriestag_series_id_6caf7f46" ON "tags_seriestag" ("series_id");
CREATE INDEX IF NOT EXISTS "tags_seriestag_tag_id_0c11d976" ON "tags_seriestag" ("tag_id");
CREATE INDEX IF NOT EXISTS "tags_seriestag_value_id_c1029313" ON "tags_seriestag" ("value_id");
CREATE UNIQUE INDEX IF NOT EXISTS "tags_seriestag_series_id_tag_id_ad31c493_uniq" ON "tags_seriestag" ("series_id", "tag_id");
CREATE TABLE IF NOT EXISTS "django_migrations" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" datetime NOT NULL);
"#;

/// A series to register: its canonical path and tags (`name` included) in the order the
/// reference inserts them (the name's order, `name` last), which decides new rows' ids.
pub(crate) type NewSeries = (String, Vec<(String, String)>);

/// The database ids a registration produced, for the index.
#[derive(Debug, Default)]
pub(crate) struct Registered {
    pub tags: Vec<(String, i64)>,
    pub values: Vec<(String, i64)>,
}

/// An open tag database file.
#[derive(Debug)]
pub(crate) struct SqliteStore {
    conn: Connection,
}

impl From<rusqlite::Error> for TagError {
    fn from(e: rusqlite::Error) -> Self {
        TagError::Database(e.to_string())
    }
}

/// `sha256(path).hexdigest()`, the `tags_series.hash` column.
fn path_hash(path: &str) -> String {
    graphite_tags::tag_hash(path)
}

impl SqliteStore {
    /// Opens (creating when needed) the database at `path` and makes sure the tag tables
    /// exist. A database made here records the `tags` migration as applied, so the
    /// reference's `django-admin migrate` creates its other tables and leaves these alone.
    pub(crate) fn open(path: &Path) -> Result<Self, TagError> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    TagError::Database(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
        }
        let conn = Connection::open(path)?;
        // Writers (the reference's processes, another of ours) may hold the lock briefly.
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        Self::with_connection(conn)
    }

    /// A private in-memory database (tests, and `TAGDB` set to a file that cannot be used).
    pub(crate) fn in_memory() -> Result<Self, TagError> {
        Self::with_connection(Connection::open_in_memory()?)
    }

    fn with_connection(conn: Connection) -> Result<Self, TagError> {
        let had_tables: bool = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='tags_series'",
            [],
            |row| row.get::<_, i64>(0),
        )? > 0;
        conn.execute_batch(SCHEMA)?;
        if !had_tables {
            conn.execute(
                "INSERT INTO django_migrations (app, name, applied) VALUES ('tags', '0001_initial', datetime('now'))",
                [],
            )?;
        }
        Ok(Self { conn })
    }

    /// Loads every series, tag and value into `index`. Series whose path does not parse are
    /// skipped (logged). Returns how many series were loaded.
    pub(crate) fn load(&self, index: &mut TagIndex) -> Result<usize, TagError> {
        let mut tags = self.conn.prepare("SELECT id, tag FROM tags_tag")?;
        let rows = tags.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (id, tag) = row?;
            index.add_tag(&tag, id);
        }
        let mut values = self.conn.prepare("SELECT id, value FROM tags_tagvalue")?;
        let rows = values.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (id, value) = row?;
            index.add_value(&value, id);
        }
        let mut series = self.conn.prepare("SELECT path FROM tags_series")?;
        let rows = series.query_map([], |r| r.get::<_, String>(0))?;
        let mut loaded = 0;
        for row in rows {
            let path = row?;
            match graphite_tags::TaggedSeries::parse(&path) {
                Ok(parsed) => {
                    index.insert(
                        &path,
                        parsed.tags().iter().map(|(t, v)| (t.as_str(), v.as_str())),
                    );
                    loaded += 1;
                }
                Err(e) => tracing::warn!(%path, error = %e, "tag database: unparsable series"),
            }
        }
        Ok(loaded)
    }

    /// Registers series in one transaction, as the reference's `tag_series` does for each:
    /// tags, values and the series are inserted unless present, then the series' tags.
    pub(crate) fn insert(&mut self, series: &[NewSeries]) -> Result<Registered, TagError> {
        let tx = self.conn.transaction()?;
        let mut out = Registered::default();
        {
            let mut insert_tag =
                tx.prepare_cached("INSERT OR IGNORE INTO tags_tag (tag) VALUES (?1)")?;
            let mut select_tag = tx.prepare_cached("SELECT id FROM tags_tag WHERE tag=?1")?;
            let mut insert_value =
                tx.prepare_cached("INSERT OR IGNORE INTO tags_tagvalue (value) VALUES (?1)")?;
            let mut select_value =
                tx.prepare_cached("SELECT id FROM tags_tagvalue WHERE value=?1")?;
            let mut insert_series = tx
                .prepare_cached("INSERT OR IGNORE INTO tags_series (hash, path) VALUES (?1, ?2)")?;
            let mut select_series =
                tx.prepare_cached("SELECT id FROM tags_series WHERE hash=?1")?;
            let mut insert_series_tag = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO tags_seriestag (series_id, tag_id, value_id) VALUES (?1, ?2, ?3)",
                )?;
            for (path, tags) in series {
                let mut ids = Vec::with_capacity(tags.len());
                for (tag, value) in tags {
                    insert_tag.execute([tag])?;
                    let tag_id: i64 = select_tag.query_row([tag], |r| r.get(0))?;
                    insert_value.execute([value])?;
                    let value_id: i64 = select_value.query_row([value], |r| r.get(0))?;
                    out.tags.push((tag.clone(), tag_id));
                    out.values.push((value.clone(), value_id));
                    ids.push((tag_id, value_id));
                }
                let hash = path_hash(path);
                insert_series.execute(params![hash, path])?;
                let series_id: i64 = select_series.query_row([&hash], |r| r.get(0))?;
                for (tag_id, value_id) in ids {
                    insert_series_tag.execute(params![series_id, tag_id, value_id])?;
                }
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// Deletes series (their `tags_seriestag` rows and `tags_series` row) in one transaction;
    /// tags and values stay, as in the reference.
    pub(crate) fn delete(&mut self, paths: &[String]) -> Result<(), TagError> {
        let tx = self.conn.transaction()?;
        {
            let mut select = tx.prepare_cached("SELECT id FROM tags_series WHERE hash=?1")?;
            let mut delete_tags =
                tx.prepare_cached("DELETE FROM tags_seriestag WHERE series_id=?1")?;
            let mut delete_series = tx.prepare_cached("DELETE FROM tags_series WHERE id=?1")?;
            for path in paths {
                let id: Option<i64> = select
                    .query_row([path_hash(path)], |r| r.get(0))
                    .optional()?;
                if let Some(id) = id {
                    delete_tags.execute([id])?;
                    delete_series.execute([id])?;
                }
            }
        }
        tx.commit().map_err(TagError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            path_hash("cpu.load;dc=east;host=a"),
            "c5ed2e2da3c0669ff9dfc81c0ed2a6d07ea6cbc3072138b0d969377758ca185a"
        );
    }

    #[test]
    fn insert_load_delete_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("graphite.db");
        let parsed = graphite_tags::TaggedSeries::parse("cpu;host=a;dc=eu").unwrap();
        {
            let mut store = SqliteStore::open(&file).unwrap();
            let reg = store
                .insert(&[(parsed.path(), parsed.tags().clone().into_iter().collect())])
                .unwrap();
            assert_eq!(reg.tags.len(), 3);
            // Registering again changes nothing.
            store
                .insert(&[(parsed.path(), parsed.tags().clone().into_iter().collect())])
                .unwrap();
        }
        let store = SqliteStore::open(&file).unwrap();
        let mut index = TagIndex::new();
        assert_eq!(store.load(&mut index).unwrap(), 1);
        assert!(index.contains("cpu;dc=eu;host=a"));
        assert_eq!(index.tag_db_id("dc"), Some(1));
        let mut store = store;
        store.delete(&["cpu;dc=eu;host=a".to_owned()]).unwrap();
        let mut index = TagIndex::new();
        assert_eq!(store.load(&mut index).unwrap(), 0);
        assert_eq!(index.list_tags(|_| true, None).len(), 3);
    }
}
