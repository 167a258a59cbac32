//! Interchange for shared-responsibility models.
//!
//! - [`diff`]: a semantic diff of two models of the same lineage (two versions, or two
//!   language editions): responsibility shifts first, then added and removed activities, then
//!   wording.
//! - [`compare`]: models of different providers side by side, by topic, with what each leaves
//!   to the customer.
//! - [`import`]: a provider's published matrix (Markdown, CSV, XLSX) into a [`Model`], with the
//!   list of everything that could not be interpreted.
//! - [`export`]: a model as Markdown, CSV or XLSX, in layouts that [`import`] reads back into the
//!   same model.
//! - [`render`]: diff and comparison results as text, Markdown or HTML.
//!
//! The crate knows nothing about terminals, exit codes or the command line: it takes models and
//! bytes, and returns plain serde types, strings and bytes. Input-dependent failures are typed
//! errors or located warnings, never panics.
//!
//! ```
//! use onus_interchange::{export, import};
//! use onus_model::{load_str, Options, Vocabulary, BUILTIN};
//! let (_, text) = BUILTIN.iter().find(|(id, _)| *id == "h8lio").unwrap();
//! let model = load_str("h8lio.yaml", text, Vocabulary::builtin(), &Options::default()).model.unwrap();
//! let csv = export::to_csv(&model, "en");
//! let back = import::import_bytes("h8lio.csv", csv.as_bytes(), import::Format::Csv).unwrap();
//! assert_eq!(back.model, model);
//! ```

pub mod compare;
pub mod diff;
pub mod export;
pub mod import;
pub mod render;
mod util;

pub use onus_model::Model;
