//! `mino migrate`: opening a store applies its pending migrations.

use super::GlobalArgs;

pub async fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let store = mino_store::open(&global.database).await?;
    println!(
        "{} database at {} is up to date",
        store.backend(),
        global.database
    );
    Ok(())
}
