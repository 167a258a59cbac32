// `sqlx::migrate!` embeds the migration files at build time; without this, adding a
// migration file does not rebuild the crate and the new migration is silently left out.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
