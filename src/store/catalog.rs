//! Model catalogue queries (models and their routes) on either engine.

use super::rows::{ModelRow, RouteRow};
use super::{Exec, Result, postgres, sqlite};

impl Exec<'_> {
    /// Every model, by id.
    pub async fn list_models(&mut self) -> Result<Vec<ModelRow>> {
        match self {
            Exec::Sqlite(c) => sqlite::catalog::list_models(c).await,
            Exec::Postgres(c) => postgres::catalog::list_models(c).await,
        }
    }

    /// Every route, by model and position.
    pub async fn list_routes(&mut self) -> Result<Vec<RouteRow>> {
        match self {
            Exec::Sqlite(c) => sqlite::catalog::list_routes(c).await,
            Exec::Postgres(c) => postgres::catalog::list_routes(c).await,
        }
    }
}
