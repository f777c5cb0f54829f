//! The model catalogue in memory: models, aliases, routes with prices, and each route's passive
//! health. Loaded from the database (what `seed-config` stored) at start; read-only afterwards
//! except for health counters.

pub mod health;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use health::Health;

use crate::store::{Store, StoreError};

/// Longest alias chain followed before giving up (validation already rejects cycles).
const MAX_ALIAS_HOPS: usize = 8;

/// Micro-USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Price {
    pub input: i64,
    pub output: i64,
    pub cached_input: Option<i64>,
}

impl Price {
    fn from_columns(cols: [Option<i64>; 3]) -> Option<Price> {
        match cols {
            [Some(input), Some(output), cached_input] => Some(Price {
                input,
                output,
                cached_input,
            }),
            _ => None,
        }
    }
}

/// One way to serve a model.
#[derive(Debug)]
pub struct Route {
    pub provider_id: String,
    pub upstream_model: String,
    pub weight: u32,
    /// Lower is tried first.
    pub priority: u32,
    /// The route's own price, else the model's; `None` = unpriced.
    pub price: Option<Price>,
    pub health: Health,
}

/// A model as clients name it.
#[derive(Debug)]
pub struct Model {
    pub id: String,
    pub description: String,
    pub alias_of: Option<String>,
    pub max_output_tokens: Option<u32>,
    pub routes: Vec<Arc<Route>>,
}

/// Every model by id.
#[derive(Debug, Default)]
pub struct Catalog {
    models: BTreeMap<String, Model>,
}

impl Catalog {
    /// Loads models and routes from the database.
    pub async fn load(store: &Store) -> Result<Catalog, StoreError> {
        let mut conn = store.conn().await?;
        let models = conn.ex().list_models().await?;
        let routes = conn.ex().list_routes().await?;
        let mut catalog = Catalog::default();
        for m in models {
            let model_price = Price::from_columns(m.prices);
            let routes = routes
                .iter()
                .filter(|r| r.model_id == m.id)
                .map(|r| {
                    Arc::new(Route {
                        provider_id: r.provider_id.clone(),
                        upstream_model: r.upstream_model.clone(),
                        weight: u32::try_from(r.weight).unwrap_or(1).max(1),
                        priority: u32::try_from(r.priority).unwrap_or(0),
                        price: Price::from_columns(r.prices).or(model_price),
                        health: Health::default(),
                    })
                })
                .collect();
            catalog.models.insert(
                m.id.clone(),
                Model {
                    id: m.id,
                    description: m.description,
                    alias_of: m.alias_of,
                    max_output_tokens: m.max_output_tokens.and_then(|v| u32::try_from(v).ok()),
                    routes,
                },
            );
        }
        Ok(catalog)
    }

    /// The model that serves `id`, following aliases.
    pub fn resolve(&self, id: &str) -> Option<&Model> {
        let mut model = self.models.get(id)?;
        for _ in 0..MAX_ALIAS_HOPS {
            match &model.alias_of {
                Some(target) => model = self.models.get(target)?,
                None => return Some(model),
            }
        }
        None
    }

    /// Every model id clients may name (aliases included), sorted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.models.keys().map(String::as_str)
    }

    pub fn get(&self, id: &str) -> Option<&Model> {
        self.models.get(id)
    }
}
