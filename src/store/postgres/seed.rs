//! PostgreSQL side of the generic seed reconcile (see `store::seed`). Identifiers come from the
//! static names in [`SeedRow`]; every value is bound.

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{AssertSqlSafe, PgConnection, Postgres, Row};

use crate::store::Result;
use crate::store::seed::{Field, SeedRow, Stamps, Val, clause};

fn ph(i: usize) -> String {
    format!("${i}")
}

fn bind<'q>(q: Query<'q, Postgres, PgArguments>, v: &Val) -> Query<'q, Postgres, PgArguments> {
    match v {
        Val::Text(s) => q.bind(s.clone()),
        Val::Int(i) => q.bind(*i),
        Val::Bool(b) => q.bind(*b),
    }
}

fn read(r: &PgRow, i: usize, like: &Val) -> std::result::Result<Val, sqlx::Error> {
    Ok(match like {
        Val::Text(_) => Val::Text(r.try_get(i)?),
        Val::Int(_) => Val::Int(r.try_get(i)?),
        Val::Bool(_) => Val::Bool(r.try_get(i)?),
    })
}

pub async fn select_managed(c: &mut PgConnection, row: &SeedRow) -> Result<Option<Vec<Val>>> {
    let cols: Vec<&str> = row.managed.iter().map(|f| f.col).collect();
    let select = if cols.is_empty() {
        "1".to_string()
    } else {
        cols.join(", ")
    };
    let sql = format!(
        "SELECT {select} FROM {} WHERE {}",
        row.table,
        clause(&row.key, " AND ", 1, ph)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for f in &row.key {
        q = bind(q, &f.val);
    }
    let Some(r) = q.fetch_optional(c).await? else {
        return Ok(None);
    };
    let vals = row
        .managed
        .iter()
        .enumerate()
        .map(|(i, f)| read(&r, i, &f.val))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Some(vals))
}

pub async fn insert(c: &mut PgConnection, row: &SeedRow, now: DateTime<Utc>) -> Result<()> {
    let fields: Vec<&Field> = row
        .key
        .iter()
        .chain(&row.managed)
        .chain(&row.insert_only)
        .collect();
    let mut cols: Vec<&str> = fields.iter().map(|f| f.col).collect();
    let stamps = match row.stamps {
        Stamps::CreatedUpdated => vec!["created_at", "updated_at"],
        Stamps::CreatedOnly => vec!["created_at"],
        Stamps::None => vec![],
    };
    cols.extend(&stamps);
    let phs: Vec<String> = (1..=cols.len()).map(ph).collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        row.table,
        cols.join(", "),
        phs.join(", ")
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for f in &fields {
        q = bind(q, &f.val);
    }
    for _ in &stamps {
        q = q.bind(now);
    }
    q.execute(c).await?;
    Ok(())
}

pub async fn update(c: &mut PgConnection, row: &SeedRow, now: DateTime<Utc>) -> Result<()> {
    let mut set = clause(&row.managed, ", ", 1, ph);
    let mut next = row.managed.len() + 1;
    let stamped = row.stamps == Stamps::CreatedUpdated;
    if stamped {
        set.push_str(&format!(", updated_at = {}", ph(next)));
        next += 1;
    }
    let sql = format!(
        "UPDATE {} SET {set} WHERE {}",
        row.table,
        clause(&row.key, " AND ", next, ph)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for f in &row.managed {
        q = bind(q, &f.val);
    }
    if stamped {
        q = q.bind(now);
    }
    for f in &row.key {
        q = bind(q, &f.val);
    }
    q.execute(c).await?;
    Ok(())
}

pub async fn list_keys(
    c: &mut PgConnection,
    table: &'static str,
    col: &'static str,
) -> Result<Vec<String>> {
    let sql = format!("SELECT {col} FROM {table} ORDER BY {col}");
    Ok(sqlx::query_scalar(AssertSqlSafe(sql)).fetch_all(c).await?)
}

pub async fn trim_routes(c: &mut PgConnection, model_id: &str, keep: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM model_routes WHERE model_id = $1 AND position >= $2")
        .bind(model_id)
        .bind(keep)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}
