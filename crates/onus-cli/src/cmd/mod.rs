//! One module per command: its arguments (`Args`) and its `run` function.

pub mod audit;
pub mod compare;
pub mod completions;
pub mod diff;
pub mod event;
pub mod export;
pub mod import;
pub mod instance_key;
pub mod live;
pub mod log;
pub mod models;
pub mod obligations;
pub mod org;
pub mod oscal;
pub mod schema;
pub mod serve;
pub mod show;
pub mod snapshot;
pub mod topics;
pub mod validate;
pub mod verify;
pub mod who;
