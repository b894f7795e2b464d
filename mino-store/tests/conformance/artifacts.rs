use mino_core::model::*;
use mino_core::store::DynStore;

use crate::fixtures::{all_jobs, batch, in_batch, project};

pub async fn roundtrip(store: DynStore) {
    let p = project(&store, "P").await;
    let b = batch(&store, &p, 1, 0).await;
    let job = all_jobs(&store, &in_batch(&b)).await.remove(0);
    let bytes: Vec<u8> = (0..1_048_576u32).map(|i| (i % 251) as u8).collect();
    let stored = store
        .put_artifact(NewArtifact {
            job_id: Some(job.id),
            session_id: None,
            kind: "screenshot".into(),
            content_type: "image/png".into(),
            bytes: bytes.clone(),
        })
        .await
        .expect("put");
    assert_eq!(stored.size, bytes.len() as u64);
    let (meta, got) = store.get_artifact(stored.id).await.expect("get");
    assert_eq!(meta, stored);
    assert_eq!(got, bytes);

    let empty = store
        .put_artifact(NewArtifact {
            job_id: None,
            session_id: None,
            kind: "note".into(),
            content_type: "text/plain".into(),
            bytes: vec![],
        })
        .await
        .expect("put empty");
    assert_eq!(
        store.get_artifact(empty.id).await.expect("get").1,
        Vec::<u8>::new()
    );
}
