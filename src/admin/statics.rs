//! The admin UI's two static files, embedded in the binary.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::http::AppState;

const CSS: &str = include_str!("../../templates/static/app.css");
const JS: &str = include_str!("../../templates/static/app.js");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/static/app.css",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
            }),
        )
        .route(
            "/admin/static/app.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    JS,
                )
                    .into_response()
            }),
        )
}
