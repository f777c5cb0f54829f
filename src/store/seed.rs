//! Generic reconcile-one-row support for `seed-config`.
//!
//! Seeding touches eight tables with the same pattern (find by key, compare the columns the
//! config owns, insert or update). Instead of sixteen near-identical hand-written functions,
//! the domain describes a row as a [`SeedRow`] of static table/column names plus bound values;
//! the engines build parameterised SQL from those static identifiers only, never from input.

use chrono::{DateTime, Utc};

use super::{Exec, Result, postgres, sqlite};

/// A typed column value. Typed nulls let PostgreSQL decode the current value correctly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
}

/// One column name and its value.
#[derive(Debug, Clone)]
pub struct Field {
    pub col: &'static str,
    pub val: Val,
}

impl Field {
    pub fn text(col: &'static str, v: impl Into<String>) -> Field {
        Field {
            col,
            val: Val::Text(Some(v.into())),
        }
    }
    pub fn opt_text(col: &'static str, v: Option<String>) -> Field {
        Field {
            col,
            val: Val::Text(v),
        }
    }
    pub fn int(col: &'static str, v: Option<i64>) -> Field {
        Field {
            col,
            val: Val::Int(v),
        }
    }
    pub fn bool(col: &'static str, v: bool) -> Field {
        Field {
            col,
            val: Val::Bool(v),
        }
    }
}

/// Which timestamp columns the table has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamps {
    CreatedUpdated,
    CreatedOnly,
    None,
}

/// A row as the config wants it.
#[derive(Debug, Clone)]
pub struct SeedRow {
    pub table: &'static str,
    /// Identifies the row.
    pub key: Vec<Field>,
    /// Columns the config owns: compared, and updated when they differ.
    pub managed: Vec<Field>,
    /// Columns set only when the row is created (id, status, origin…).
    pub insert_only: Vec<Field>,
    pub stamps: Stamps,
}

/// What reconciling one row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

macro_rules! dispatch {
    ($ex:expr, $f:ident ( $($arg:expr),* )) => {
        match $ex {
            Exec::Sqlite(c) => sqlite::seed::$f(c, $($arg),*).await,
            Exec::Postgres(c) => postgres::seed::$f(&mut **c, $($arg),*).await,
        }
    };
}

impl Exec<'_> {
    /// Inserts the row, updates its managed columns, or leaves it alone.
    pub async fn reconcile(&mut self, row: &SeedRow, now: DateTime<Utc>) -> Result<Outcome> {
        let current = dispatch!(self, select_managed(row))?;
        match current {
            None => {
                dispatch!(self, insert(row, now))?;
                Ok(Outcome::Created)
            }
            Some(vals) if vals.iter().eq(row.managed.iter().map(|f| &f.val)) => {
                Ok(Outcome::Unchanged)
            }
            Some(_) => {
                dispatch!(self, update(row, now))?;
                Ok(Outcome::Updated)
            }
        }
    }

    /// Every value of `col` in `table` (both static), to report rows the config lacks.
    pub async fn list_keys(
        &mut self,
        table: &'static str,
        col: &'static str,
    ) -> Result<Vec<String>> {
        dispatch!(self, list_keys(table, col))
    }

    /// Deletes a model's routes at positions ≥ `keep` (the config now lists fewer).
    pub async fn trim_routes(&mut self, model_id: &str, keep: i64) -> Result<u64> {
        dispatch!(self, trim_routes(model_id, keep))
    }

    /// The id of the user with this e-mail, if any.
    pub async fn user_id_by_email(&mut self, email: &str) -> Result<Option<String>> {
        Ok(self.find_user_by_email(email).await?.map(|u| u.id))
    }
}

/// `a = ?1 AND b = ?2`-style clauses, with placeholders produced by `ph(index)`.
pub(crate) fn clause(fields: &[Field], sep: &str, start: usize, ph: fn(usize) -> String) -> String {
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| format!("{} = {}", f.col, ph(start + i)))
        .collect::<Vec<_>>()
        .join(sep)
}
