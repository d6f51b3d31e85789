//! Distributing Bosak's schema on a Citus cluster (issue 19; docs/SCALING.md, "Citus:
//! verified"). `bosak citus distribute` reads the catalog and places every table:
//!
//! * a tenant table (no `global:` comment, the rule `schema-invariants.sh` uses) is
//!   distributed by `municipality_id`, all of them co-located with the first one placed, so
//!   a municipality's rows of every table live on one node;
//! * a global table (`COMMENT ON TABLE … IS 'global: …'`) becomes a reference table (a copy
//!   on every node).
//!
//! Tables are placed in foreign-key order (a referenced table before the tables that
//! reference it), which Citus requires. Tables already placed the same way are skipped, so
//! the command is idempotent; a table already placed another way, a tenant table without a
//! `NOT NULL municipality_id`, or a foreign-key cycle is refused with the table's name.
//! The planning is pure ([`plan`]); the catalog reads and the calls are in this file's
//! functions that take a pool.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::bail;
use sqlx::PgPool;

/// The distribution column of every tenant table.
pub const DISTRIBUTION_COLUMN: &str = "municipality_id";

/// How Citus holds a table today (`pg_dist_partition.partmethod`, and `repmodel` for
/// reference tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Not in Citus's metadata: a plain table on the coordinator.
    Local,
    /// Hash-distributed by the given column.
    Distributed,
    /// A reference table.
    Reference,
    /// A Citus local table (added to the metadata, kept on the coordinator).
    CitusLocal,
}

/// What the catalog says about one table.
#[derive(Debug, Clone)]
pub struct TableInfo {
    pub name: String,
    pub global: bool,
    /// `None` when the table has no `municipality_id`; `Some(true)` when it is nullable.
    pub municipality_id_nullable: Option<bool>,
    /// The column it is distributed by, when it is distributed.
    pub distributed_by: Option<String>,
    pub placement: Placement,
    /// Tables this one references by foreign key (itself excluded).
    pub references: Vec<String>,
}

/// One step of the plan: the SQL to run, or a note that the table is already placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Reference(String),
    Distribute {
        table: String,
        colocate_with: Option<String>,
    },
    AlreadyReference(String),
    AlreadyDistributed(String),
}

impl Step {
    /// The SQL of the step; `None` for tables already placed.
    pub fn sql(&self) -> Option<String> {
        match self {
            Step::Reference(t) => Some(format!(
                "SELECT create_reference_table('public.{t}');"
            )),
            Step::Distribute {
                table,
                colocate_with,
            } => Some(format!(
                "SELECT create_distributed_table('public.{table}', '{DISTRIBUTION_COLUMN}', colocate_with => '{}');",
                colocate_with
                    .as_deref()
                    .map(|c| format!("public.{c}"))
                    .unwrap_or_else(|| "none".to_string())
            )),
            Step::AlreadyReference(_) | Step::AlreadyDistributed(_) => None,
        }
    }

    pub fn table(&self) -> &str {
        match self {
            Step::Reference(t)
            | Step::AlreadyReference(t)
            | Step::AlreadyDistributed(t)
            | Step::Distribute { table: t, .. } => t,
        }
    }
}

/// Tables in foreign-key order: every table after the tables it references; ties in
/// name order, so the plan is the same on every run. A cycle is an error naming its tables.
pub fn dependency_order(tables: &[TableInfo]) -> anyhow::Result<Vec<String>> {
    let names: BTreeSet<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    // Only edges between the tables being placed count (Citus's own tables are not listed).
    let mut pending: BTreeMap<&str, BTreeSet<&str>> = tables
        .iter()
        .map(|t| {
            let deps = t
                .references
                .iter()
                .map(String::as_str)
                .filter(|r| *r != t.name && names.contains(r))
                .collect();
            (t.name.as_str(), deps)
        })
        .collect();
    let mut order = Vec::with_capacity(tables.len());
    while !pending.is_empty() {
        let ready: Vec<&str> = pending
            .iter()
            .filter(|(_, deps)| deps.is_empty())
            .map(|(n, _)| *n)
            .collect();
        if ready.is_empty() {
            // What is left is the cycles and the tables that depend on them; drop the
            // latter (tables nothing left references), so the message names the cycles.
            loop {
                let referenced: BTreeSet<&str> = pending.values().flatten().copied().collect();
                let before = pending.len();
                pending.retain(|n, _| referenced.contains(n));
                if pending.len() == before {
                    break;
                }
            }
            let cycle: Vec<&str> = pending.keys().copied().collect();
            bail!(
                "cannot order the tables: foreign keys form a cycle among {}",
                cycle.join(", ")
            );
        }
        for n in ready {
            pending.remove(n);
            for deps in pending.values_mut() {
                deps.remove(n);
            }
            order.push(n.to_string());
        }
    }
    Ok(order)
}

/// The steps that place every table, in foreign-key order, or the first table that cannot
/// be placed and why.
pub fn plan(tables: &[TableInfo]) -> anyhow::Result<Vec<Step>> {
    let by_name: BTreeMap<&str, &TableInfo> = tables.iter().map(|t| (t.name.as_str(), t)).collect();
    let order = dependency_order(tables)?;
    // Every tenant table joins the colocation group of the first one: an already
    // distributed table when there is one (a second run), else the first in order.
    let mut anchor: Option<String> = tables
        .iter()
        .filter(|t| !t.global && t.placement == Placement::Distributed)
        .map(|t| t.name.clone())
        .min();
    let mut steps = Vec::with_capacity(order.len());
    for name in order {
        let t = by_name[name.as_str()];
        if t.global {
            match t.placement {
                Placement::Reference => steps.push(Step::AlreadyReference(name)),
                Placement::Local => steps.push(Step::Reference(name)),
                other => bail!(
                    "cannot place {name}: it is a global table (its comment starts with \
                     'global:') and should be a reference table, but Citus already holds it \
                     as {other:?}"
                ),
            }
            continue;
        }
        match t.municipality_id_nullable {
            None => bail!(
                "cannot place {name}: it is a tenant table (no 'global:' comment) without a \
                 {DISTRIBUTION_COLUMN} column to distribute it by"
            ),
            Some(true) => bail!(
                "cannot place {name}: its {DISTRIBUTION_COLUMN} is nullable, and a \
                 distribution column cannot hold NULL"
            ),
            Some(false) => {}
        }
        match t.placement {
            Placement::Distributed if t.distributed_by.as_deref() == Some(DISTRIBUTION_COLUMN) => {
                steps.push(Step::AlreadyDistributed(name))
            }
            Placement::Local => {
                let colocate_with = anchor.clone();
                if anchor.is_none() {
                    anchor = Some(name.clone());
                }
                steps.push(Step::Distribute {
                    table: name,
                    colocate_with,
                });
            }
            other => bail!(
                "cannot place {name}: it is a tenant table and should be distributed by \
                 {DISTRIBUTION_COLUMN}, but Citus already holds it as {other:?}{}",
                t.distributed_by
                    .as_deref()
                    .map(|c| format!(" by {c}"))
                    .unwrap_or_default()
            ),
        }
    }
    Ok(steps)
}

/// Whether the database has the Citus extension.
pub async fn has_citus(pool: &PgPool) -> anyhow::Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
            .fetch_one(pool)
            .await?,
    )
}

/// Every table of the `public` schema (not partitions, not Citus's shards, which it hides
/// from most clients anyway, not sqlx's migration table) with
/// what [`plan`] needs.
pub async fn tables(pool: &PgPool) -> anyhow::Result<Vec<TableInfo>> {
    type Row = (
        String,
        bool,
        Option<bool>,
        Option<String>,
        Option<String>,
        Vec<String>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        r#"
        SELECT c.relname::text,
               coalesce(obj_description(c.oid, 'pg_class'), '') LIKE 'global:%',
               (SELECT NOT a.attnotnull FROM pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attname = $1 AND NOT a.attisdropped),
               (SELECT CASE WHEN p.partmethod = 'h' THEN 'distributed'
                            WHEN p.partmethod = 'n' AND p.repmodel = 't' THEN 'reference'
                            WHEN p.partmethod = 'n' THEN 'citus_local'
                            ELSE p.partmethod::text END
                  FROM pg_dist_partition p WHERE p.logicalrelid = c.oid),
               (SELECT column_to_column_name(p.logicalrelid, p.partkey)
                  FROM pg_dist_partition p WHERE p.logicalrelid = c.oid AND p.partmethod = 'h'),
               coalesce((SELECT array_agg(DISTINCT f.relname::text ORDER BY f.relname::text)
                           FROM pg_constraint k JOIN pg_class f ON f.oid = k.confrelid
                          WHERE k.conrelid = c.oid AND k.contype = 'f' AND k.confrelid <> c.oid),
                        '{}')
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND c.relname NOT LIKE '\_sqlx%' AND NOT relation_is_a_known_shard(c.oid)
         ORDER BY c.relname
        "#,
    )
    .bind(DISTRIBUTION_COLUMN)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(name, global, nullable, placement, by, references)| {
            let placement = match placement.as_deref() {
                None => Placement::Local,
                Some("distributed") => Placement::Distributed,
                Some("reference") => Placement::Reference,
                Some("citus_local") => Placement::CitusLocal,
                Some(other) => bail!("{name}: unknown Citus partition method {other}"),
            };
            Ok(TableInfo {
                name,
                global,
                municipality_id_nullable: nullable,
                distributed_by: by,
                placement,
                references,
            })
        })
        .collect()
}

/// Set in the session before the steps. With it on (Citus's default), making a table a
/// reference table converts every local table connected to it by foreign keys into a
/// Citus local table, which fails on tables with row level security policies ("cannot
/// create policy"); off, the tenant tables' foreign keys to it stay as they are until
/// those tables are distributed in their turn (docs/SCALING.md, "Citus: verified").
pub const SESSION_SETTINGS: &str = "SET citus.enable_local_reference_table_foreign_keys = off;";

/// Runs one step's SQL (each in its own transaction, as Citus copies the table's rows to
/// the shards there).
pub async fn run_step(pool: &PgPool, step: &Step) -> anyhow::Result<()> {
    if let Some(sql) = step.sql() {
        let mut conn = pool.acquire().await?;
        sqlx::raw_sql(SESSION_SETTINGS).execute(&mut *conn).await?;
        sqlx::raw_sql(&sql)
            .execute(&mut *conn)
            .await
            .map_err(|e| anyhow::anyhow!("cannot place {}: {sql} failed: {e}", step.table()))?;
    }
    Ok(())
}

/// How many tables Citus holds in each way: (distributed, reference, other).
pub async fn counts(pool: &PgPool) -> anyhow::Result<(i64, i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT count(*) FILTER (WHERE partmethod = 'h'),
                count(*) FILTER (WHERE partmethod = 'n' AND repmodel = 't'),
                count(*) FILTER (WHERE NOT (partmethod = 'h' OR (partmethod = 'n' AND repmodel = 't')))
           FROM pg_dist_partition",
    )
    .fetch_one(pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, global: bool, nullable: Option<bool>, refs: &[&str]) -> TableInfo {
        TableInfo {
            name: name.to_string(),
            global,
            municipality_id_nullable: nullable,
            distributed_by: None,
            placement: Placement::Local,
            references: refs.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn referenced_tables_come_first_and_ties_go_by_name() {
        let tables = vec![
            table("leases", false, Some(false), &["units", "municipalities"]),
            table("units", false, Some(false), &["municipalities", "units"]),
            table("municipalities", true, None, &[]),
            table("areas", false, Some(false), &["municipalities"]),
        ];
        assert_eq!(
            dependency_order(&tables).unwrap(),
            ["municipalities", "areas", "units", "leases"]
        );
    }

    #[test]
    fn a_cycle_is_refused_with_its_tables() {
        let tables = vec![
            table("a", false, Some(false), &["b"]),
            table("b", false, Some(false), &["a"]),
            table("c", false, Some(false), &[]),
            table("d", false, Some(false), &["a"]),
        ];
        let err = dependency_order(&tables).unwrap_err().to_string();
        assert!(err.contains("cycle among a, b"), "{err}");
    }

    #[test]
    fn tenant_tables_are_colocated_with_the_first_and_globals_are_reference_tables() {
        let tables = vec![
            table("municipalities", true, None, &[]),
            table("areas", false, Some(false), &["municipalities"]),
            table("units", false, Some(false), &["areas"]),
        ];
        let steps = plan(&tables).unwrap();
        assert_eq!(
            steps,
            [
                Step::Reference("municipalities".into()),
                Step::Distribute {
                    table: "areas".into(),
                    colocate_with: None
                },
                Step::Distribute {
                    table: "units".into(),
                    colocate_with: Some("areas".into())
                },
            ]
        );
        assert_eq!(
            steps[2].sql().unwrap(),
            "SELECT create_distributed_table('public.units', 'municipality_id', colocate_with => 'public.areas');"
        );
        assert_eq!(
            steps[1].sql().unwrap(),
            "SELECT create_distributed_table('public.areas', 'municipality_id', colocate_with => 'none');"
        );
    }

    #[test]
    fn a_second_run_skips_placed_tables_and_joins_the_existing_group() {
        let mut areas = table("areas", false, Some(false), &[]);
        areas.placement = Placement::Distributed;
        areas.distributed_by = Some("municipality_id".into());
        let mut munis = table("municipalities", true, None, &[]);
        munis.placement = Placement::Reference;
        let tables = vec![areas, munis, table("units", false, Some(false), &["areas"])];
        let steps = plan(&tables).unwrap();
        assert_eq!(
            steps,
            [
                Step::AlreadyDistributed("areas".into()),
                Step::AlreadyReference("municipalities".into()),
                Step::Distribute {
                    table: "units".into(),
                    colocate_with: Some("areas".into())
                },
            ]
        );
        assert!(steps[0].sql().is_none());
    }

    #[test]
    fn tables_that_cannot_be_placed_are_refused_by_name() {
        let err = plan(&[table("notes", false, None, &[])])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cannot place notes") && err.contains("without a municipality_id"),
            "{err}"
        );
        let err = plan(&[table("log", false, Some(true), &[])])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cannot place log") && err.contains("nullable"),
            "{err}"
        );
        let mut wrong = table("units", false, Some(false), &[]);
        wrong.placement = Placement::Distributed;
        wrong.distributed_by = Some("id".into());
        let err = plan(&[wrong]).unwrap_err().to_string();
        assert!(
            err.contains("cannot place units") && err.contains("by id"),
            "{err}"
        );
        let mut global = table("users", true, None, &[]);
        global.placement = Placement::Distributed;
        let err = plan(&[global]).unwrap_err().to_string();
        assert!(err.contains("cannot place users"), "{err}");
    }
}
