//! The web UI.
use crate::App;
pub fn templates() -> minijinja::Environment<'static> { minijinja::Environment::new() }
pub fn router() -> axum::Router<App> { axum::Router::new() }
