//! SQLite side of the generic seed reconcile (see `store::seed`). Identifiers come from the
//! static names in [`SeedRow`]; every value is bound.

use chrono::{DateTime, Utc};
use libsql::{Connection, Value};

use super::{collect, first, ms};
use crate::store::Result;
use crate::store::seed::{Field, SeedRow, Stamps, Val, clause};

fn ph(i: usize) -> String {
    format!("?{i}")
}

fn bind(v: &Val) -> Value {
    match v {
        Val::Text(Some(s)) => Value::Text(s.clone()),
        Val::Int(Some(i)) => Value::Integer(*i),
        Val::Bool(b) => Value::Integer(*b as i64),
        Val::Text(None) | Val::Int(None) => Value::Null,
    }
}

fn read(v: Value, like: &Val) -> Val {
    match (like, v) {
        (Val::Bool(_), Value::Integer(i)) => Val::Bool(i != 0),
        (Val::Text(_), Value::Text(s)) => Val::Text(Some(s)),
        (Val::Int(_), Value::Integer(i)) => Val::Int(Some(i)),
        (Val::Text(_), _) => Val::Text(None),
        (Val::Int(_), _) => Val::Int(None),
        (Val::Bool(_), _) => Val::Bool(false),
    }
}

fn values(fields: &[&Field]) -> Vec<Value> {
    fields.iter().map(|f| bind(&f.val)).collect()
}

pub async fn select_managed(c: &Connection, row: &SeedRow) -> Result<Option<Vec<Val>>> {
    let cols: Vec<&str> = row.managed.iter().map(|f| f.col).collect();
    // A row with no managed columns still needs a column to prove it exists.
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
    let keys: Vec<&Field> = row.key.iter().collect();
    let rows = c.query(&sql, values(&keys)).await?;
    first(rows, |r| {
        row.managed
            .iter()
            .enumerate()
            .map(|(i, f)| Ok(read(r.get_value(i as i32)?, &f.val)))
            .collect()
    })
    .await
}

pub async fn insert(c: &Connection, row: &SeedRow, now: DateTime<Utc>) -> Result<()> {
    let fields: Vec<&Field> = row
        .key
        .iter()
        .chain(&row.managed)
        .chain(&row.insert_only)
        .collect();
    let mut cols: Vec<&str> = fields.iter().map(|f| f.col).collect();
    let mut vals = values(&fields);
    match row.stamps {
        Stamps::CreatedUpdated => {
            cols.extend(["created_at", "updated_at"]);
            vals.extend([Value::Integer(ms(now)), Value::Integer(ms(now))]);
        }
        Stamps::CreatedOnly => {
            cols.push("created_at");
            vals.push(Value::Integer(ms(now)));
        }
        Stamps::None => {}
    }
    let phs: Vec<String> = (1..=cols.len()).map(ph).collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        row.table,
        cols.join(", "),
        phs.join(", ")
    );
    c.execute(&sql, vals).await?;
    Ok(())
}

pub async fn update(c: &Connection, row: &SeedRow, now: DateTime<Utc>) -> Result<()> {
    let mut set = clause(&row.managed, ", ", 1, ph);
    let mut fields: Vec<&Field> = row.managed.iter().collect();
    let mut vals = values(&fields);
    if row.stamps == Stamps::CreatedUpdated {
        set.push_str(&format!(", updated_at = {}", ph(vals.len() + 1)));
        vals.push(Value::Integer(ms(now)));
    }
    let sql = format!(
        "UPDATE {} SET {set} WHERE {}",
        row.table,
        clause(&row.key, " AND ", vals.len() + 1, ph)
    );
    fields = row.key.iter().collect();
    vals.extend(values(&fields));
    c.execute(&sql, vals).await?;
    Ok(())
}

pub async fn list_keys(
    c: &Connection,
    table: &'static str,
    col: &'static str,
) -> Result<Vec<String>> {
    let sql = format!("SELECT {col} FROM {table} ORDER BY {col}");
    let rows = c.query(&sql, ()).await?;
    collect(rows, |r| Ok(r.get::<String>(0)?)).await
}

pub async fn trim_routes(c: &Connection, model_id: &str, keep: i64) -> Result<u64> {
    Ok(c.execute(
        "DELETE FROM model_routes WHERE model_id = ?1 AND position >= ?2",
        libsql::params![model_id, keep],
    )
    .await?)
}
