//! Model catalogue SQL for SQLite.

use libsql::Connection;

use super::collect;
use crate::store::Result;
use crate::store::rows::{ModelRow, RouteRow};

pub async fn list_models(c: &Connection) -> Result<Vec<ModelRow>> {
    let rows = c
        .query(
            "SELECT id, description, alias_of, max_output_tokens, price_input_per_mtok, \
             price_output_per_mtok, price_cached_per_mtok FROM models ORDER BY id",
            (),
        )
        .await?;
    collect(rows, |r| {
        Ok(ModelRow {
            id: r.get(0)?,
            description: r.get(1)?,
            alias_of: r.get(2)?,
            max_output_tokens: r.get(3)?,
            prices: [r.get(4)?, r.get(5)?, r.get(6)?],
        })
    })
    .await
}

pub async fn list_routes(c: &Connection) -> Result<Vec<RouteRow>> {
    let rows = c
        .query(
            "SELECT model_id, position, provider_id, upstream_model, weight, priority, \
             price_input_per_mtok, price_output_per_mtok, price_cached_per_mtok \
             FROM model_routes ORDER BY model_id, position",
            (),
        )
        .await?;
    collect(rows, |r| {
        Ok(RouteRow {
            model_id: r.get(0)?,
            position: r.get(1)?,
            provider_id: r.get(2)?,
            upstream_model: r.get(3)?,
            weight: r.get(4)?,
            priority: r.get(5)?,
            prices: [r.get(6)?, r.get(7)?, r.get(8)?],
        })
    })
    .await
}
