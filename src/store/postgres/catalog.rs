//! Model catalogue SQL for PostgreSQL.

use sqlx::{PgConnection, Row};

use crate::store::Result;
use crate::store::rows::{ModelRow, RouteRow};

pub async fn list_models(c: &mut PgConnection) -> Result<Vec<ModelRow>> {
    let rows = sqlx::query(
        "SELECT id, description, alias_of, max_output_tokens, price_input_per_mtok, \
         price_output_per_mtok, price_cached_per_mtok FROM models ORDER BY id",
    )
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ModelRow {
                id: r.try_get(0)?,
                description: r.try_get(1)?,
                alias_of: r.try_get(2)?,
                max_output_tokens: r.try_get(3)?,
                prices: [r.try_get(4)?, r.try_get(5)?, r.try_get(6)?],
            })
        })
        .collect()
}

pub async fn list_routes(c: &mut PgConnection) -> Result<Vec<RouteRow>> {
    let rows = sqlx::query(
        "SELECT model_id, position, provider_id, upstream_model, weight, priority, \
         price_input_per_mtok, price_output_per_mtok, price_cached_per_mtok \
         FROM model_routes ORDER BY model_id, position",
    )
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RouteRow {
                model_id: r.try_get(0)?,
                position: r.try_get(1)?,
                provider_id: r.try_get(2)?,
                upstream_model: r.try_get(3)?,
                weight: r.try_get(4)?,
                priority: r.try_get(5)?,
                prices: [r.try_get(6)?, r.try_get(7)?, r.try_get(8)?],
            })
        })
        .collect()
}
