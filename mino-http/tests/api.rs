//! Every API route over a real socket, with good and bad input, against a real SQLite file
//! and a real Postgres schema (the same suite for both).

mod common;

use common::{Backend, TestServer};
use mino_http::HttpConfig;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The upload limit of the suite's servers, small enough to test the 413.
const UPLOAD_LIMIT: usize = 64 * 1024;

fn config() -> HttpConfig {
    HttpConfig {
        max_upload_bytes: UPLOAD_LIMIT,
        max_body_bytes: 256 * 1024,
        ..HttpConfig::default()
    }
}

/// Checks the one error shape and answers its details.
fn assert_error(status: StatusCode, body: &Value, want: StatusCode, code: &str) -> Value {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(body["error"]["details"]["request_id"].is_string(), "{body}");
    body["error"]["details"].clone()
}

const CSV: &str = "url,category,gt_title,gt_price\n\
    https://shop.example/a,boots,Boot A,$1.00\n\
    shop.example/b,lamps,Lamp B,$2.00\n\
    not a url,lamps,Nothing,$3.00\n";

async fn upload(
    server: &TestServer,
    project: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new()
        .text("project_id", project.to_owned())
        .text("name", name.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("sites.csv"),
        );
    let response = server
        .client
        .post(server.url("/api/batches"))
        .multipart(form)
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

async fn health_request_ids_and_cors(server: &TestServer) {
    let response = server.get_raw("/api/health").await;
    assert_eq!(response.status(), StatusCode::OK);
    let generated = response.headers()["x-request-id"]
        .to_str()
        .map(str::to_owned);
    assert!(generated.is_ok_and(|id| id.len() >= 32));
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["status"], "ok");

    // A client's own request id comes back, on errors too, in the header and the body.
    let response = server
        .client
        .get(server.url("/api/projects/not-a-uuid"))
        .header("x-request-id", "test-req-42")
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.headers()["x-request-id"], "test-req-42");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["details"]["request_id"], "test-req-42");

    // CORS: a localhost origin is allowed (preflight and simple requests), another is not.
    let preflight = server
        .client
        .request(Method::OPTIONS, server.url("/api/projects"))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("a preflight answer");
    assert!(preflight.status().is_success());
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    let allowed = preflight.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap_or("")
        .to_owned();
    assert!(
        allowed.contains("POST") && allowed.contains("PATCH"),
        "{allowed}"
    );
    let simple = server
        .client
        .get(server.url("/api/projects"))
        .header("origin", "http://127.0.0.1:3000")
        .send()
        .await
        .expect("an answer");
    assert_eq!(
        simple.headers()["access-control-allow-origin"],
        "http://127.0.0.1:3000"
    );
    let foreign = server
        .client
        .get(server.url("/api/projects"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("an answer");
    assert!(foreign
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

async fn projects_crud_paging_and_errors(server: &TestServer) {
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(server.shop_project(&format!("project {i}")).await);
    }
    // Paging: two pages of two and one, no duplicate, no gap.
    let (status, first) = server.get("/api/projects?limit=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["data"].as_array().map(Vec::len), Some(2));
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next cursor")
        .to_owned();
    let (_, second) = server
        .get(&format!("/api/projects?limit=2&cursor={cursor}"))
        .await;
    let mut seen: Vec<String> = first["data"]
        .as_array()
        .into_iter()
        .chain(second["data"].as_array())
        .flatten()
        .filter_map(|p| p["id"].as_str().map(str::to_owned))
        .collect();
    assert!(second["next_cursor"].is_null());
    seen.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(seen, want);

    // Read, update (a new instruction version), version history.
    let id = &ids[0];
    let (status, project) = server.get(&format!("/api/projects/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(project["instruction_version"], 1);
    let (status, updated, _) = server
        .call(
            Method::PUT,
            &format!("/api/projects/{id}"),
            Some(json!({ "instructions": "Find the title, price and brand. Ignore ads." })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["instruction_version"], 2);
    let (_, versions) = server
        .get(&format!("/api/projects/{id}/instructions/versions"))
        .await;
    let numbers: Vec<i64> = versions["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["version"].as_i64())
        .collect();
    assert_eq!(numbers, vec![1, 2]);

    // Validation: bad ids, names, limits, cursors, JSON, content types.
    let (status, body) = server.get("/api/projects/12345").await;
    let details = assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(details["field"], "project_id");
    let (status, body) = server
        .get(&format!("/api/projects/{}", uuid::Uuid::now_v7()))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (status, body) = server.get("/api/projects?limit=0").await;
    let details = assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(details["field"], "limit");
    let (status, body) = server.get("/api/projects?limit=501").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = server.get("/api/projects?limit=ten").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = server.get("/api/projects?cursor=%21%21").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = server.post("/api/projects", json!({ "name": "" })).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = server
        .post("/api/projects", json!({ "name": "x".repeat(201) }))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = server
        .post(
            "/api/projects",
            json!({ "name": "p", "settings": { "max_attempts": 0 } }),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = server
        .post(
            "/api/projects",
            json!({ "name": "p", "agent": { "name": "nope" } }),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let response = server
        .client
        .post(server.url("/api/projects"))
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .expect("an answer");
    let status = response.status();
    let body: Value = response.json().await.expect("JSON");
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let response = server
        .client
        .post(server.url("/api/projects"))
        .header("content-type", "text/plain")
        .body("{\"name\": \"p\"}")
        .send()
        .await
        .expect("an answer");
    let status = response.status();
    let body: Value = response.json().await.expect("JSON");
    assert_error(
        status,
        &body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    );
    let huge = json!({ "name": "p", "description": "x".repeat(300 * 1024) });
    let (status, body) = server.post("/api/projects", huge).await;
    assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
    );
    let (status, body) = server.get("/api/nothing-here").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (status, body, _) = server.call(Method::DELETE, "/api/health", None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR");

    // Delete, then it is gone.
    let (status, _, _) = server
        .call(Method::DELETE, &format!("/api/projects/{}", ids[2]), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = server.get(&format!("/api/projects/{}", ids[2])).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
}

async fn batches_upload_json_filters_and_limits(server: &TestServer) {
    let project = server.shop_project("batches").await;
    let (status, created) = upload(server, &project, "sites", CSV.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let batch = created["batch"]["id"].as_str().expect("an id").to_owned();
    assert_eq!(created["report"]["total_rows"], 3);
    assert_eq!(created["report"]["invalid_rows"], 1);
    let roles: Vec<String> = created["batch"]["columns"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["role"]["kind"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(roles, ["site", "input", "ground_truth", "ground_truth"]);
    assert_eq!(
        created["batch"]["preview"].as_array().map(Vec::len),
        Some(3)
    );

    // The batch with its counts; list by project; rename.
    let (status, view) = server.get(&format!("/api/batches/{batch}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["counts"]["pending"], 2);
    assert_eq!(view["counts"]["invalid"], 1);
    let (_, list) = server
        .get(&format!("/api/batches?project_id={project}"))
        .await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
    let (status, renamed, _) = server
        .call(
            Method::PUT,
            &format!("/api/batches/{batch}"),
            Some(json!({ "name": "renamed" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(renamed["name"], "renamed");
    let (status, body, _) = server
        .call(
            Method::PUT,
            &format!("/api/batches/{batch}"),
            Some(json!({ "name": " " })),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");

    // Filters: status, search, ground truth, accuracy; bad values refused.
    let (_, invalid) = server
        .get(&format!("/api/batches/{batch}/jobs?status=invalid"))
        .await;
    assert_eq!(invalid["data"].as_array().map(Vec::len), Some(1));
    let (_, found) = server
        .get(&format!("/api/batches/{batch}/jobs?search=EXAMPLE/b"))
        .await;
    assert_eq!(found["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(found["data"][0]["site_url"], "https://shop.example/b");
    let (_, with_gt) = server
        .get(&format!(
            "/api/batches/{batch}/jobs?has_ground_truth=true&limit=1"
        ))
        .await;
    assert_eq!(with_gt["data"].as_array().map(Vec::len), Some(1));
    assert!(with_gt["next_cursor"].is_string());
    let (_, passing) = server
        .get(&format!("/api/batches/{batch}/jobs?accuracy=pass"))
        .await;
    assert_eq!(passing["data"].as_array().map(Vec::len), Some(0));
    for bad in [
        "status=done",
        "accuracy=great",
        "has_ground_truth=maybe",
        "limit=-1",
        "execution_id=xyz",
    ] {
        let (status, body) = server
            .get(&format!("/api/batches/{batch}/jobs?{bad}"))
            .await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    }
    let (status, body) = server
        .get(&format!("/api/batches/{}/jobs", uuid::Uuid::now_v7()))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (_, project_jobs) = server
        .get(&format!("/api/projects/{project}/jobs?status=pending"))
        .await;
    assert_eq!(project_jobs["data"].as_array().map(Vec::len), Some(2));

    // JSON rows and CSV text go through the same ingest.
    let (status, from_rows) = server
        .post(
            &format!("/api/projects/{project}/batches"),
            json!({ "name": "rows", "rows": [{ "website": "a.example", "gt_title": "A" }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{from_rows}");
    assert_eq!(from_rows["batch"]["site_url_column"], "website");
    let (status, from_csv) = server
        .post(
            &format!("/api/projects/{project}/batches"),
            json!({ "name": "text", "csv": "site;gt_brand\nb.example;B\n" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{from_csv}");
    assert_eq!(from_csv["report"]["delimiter"], "semicolon");
    for bad in [
        json!({ "name": "none" }),
        json!({ "name": "both", "rows": [{ "url": "a.example" }], "csv": "url\na.example\n" }),
        json!({ "name": "empty", "rows": [] }),
        json!({ "name": "x", "rows": [{ "url": "a.example" }], "extra": 1 }),
    ] {
        let (status, body) = server
            .post(&format!("/api/projects/{project}/batches"), bad)
            .await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    }

    // Uploads: too large, not multipart, no file, unknown project, binary.
    let mut big = b"url\n".to_vec();
    while big.len() <= UPLOAD_LIMIT {
        big.extend_from_slice(b"https://big.example/page\n");
    }
    let (status, body) = upload(server, &project, "big", big).await;
    let details = assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
    );
    assert_eq!(details["field"], "file");
    let (status, body) = server
        .post("/api/batches", json!({ "project_id": project }))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    );
    let form = reqwest::multipart::Form::new().text("project_id", project.clone());
    let response = server
        .client
        .post(server.url("/api/batches"))
        .multipart(form)
        .send()
        .await
        .expect("an answer");
    let status = response.status();
    let body: Value = response.json().await.expect("JSON");
    let details = assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(details["field"], "file");
    let (status, body) = upload(
        server,
        &uuid::Uuid::now_v7().to_string(),
        "x",
        CSV.as_bytes().to_vec(),
    )
    .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (status, body) = upload(server, &project, "binary", vec![0, 159, 146, 150, 0, 0, 1]).await;
    assert_error(
        status,
        &body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    );

    // Delete.
    let (status, _, _) = server
        .call(Method::DELETE, &format!("/api/batches/{batch}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = server.get(&format!("/api/batches/{batch}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
}

/// Executions without a worker: they stay queued, so every control can be tried.
async fn executions_controls_and_ranges(server: &TestServer) {
    let project = server.shop_project("executions").await;
    let rows: Vec<_> = (0..12)
        .map(|i| common::row(&format!("https://shop{i}.example/"), "T", "$1", "B"))
        .collect();
    let batch = server.rows_batch(&project, &rows).await;
    let execute = format!("/api/projects/{project}/batches/{batch}/execute");
    for (bad, field) in [
        (json!({ "concurrency": 0 }), "concurrency"),
        (json!({ "concurrency": 51 }), "concurrency"),
        (json!({ "sample_size": 9 }), "sample_size"),
        (json!({ "sample_size": 51 }), "sample_size"),
        (json!({ "max_attempts": 21 }), "max_attempts"),
        (
            json!({ "mode": "production", "sample_size": 10 }),
            "sample_size",
        ),
        (json!({ "scope": "failed" }), "scope"),
    ] {
        let (status, body) = server.post(&execute, bad).await;
        let details = assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
        assert_eq!(details["field"], field, "{body}");
    }
    let (status, body) = server.post(&execute, json!({ "mode": "fast" })).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = server
        .post(
            &format!(
                "/api/projects/{project}/batches/{}/execute",
                uuid::Uuid::now_v7()
            ),
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");

    // A test run of 10 of the 12 rows; an empty body takes the defaults.
    let response = server
        .client
        .post(server.url(&execute))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::CREATED);
    let execution: Value = response.json().await.expect("JSON");
    let id = execution["id"].as_str().expect("an id").to_owned();
    assert_eq!(execution["mode"], "test");
    assert_eq!(execution["total"], 10);
    assert_eq!(execution["concurrency"], 5);
    // A production run meanwhile takes only the two jobs outside the active sample.
    let (status, rest) = server
        .post(
            &execute,
            json!({ "mode": "production", "scope": "pending" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rest}");
    assert_eq!(rest["total"], 2);

    let (status, stats) = server.get(&format!("/api/executions/{id}/stats")).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["total"], 10);
    assert_eq!(stats["counts"]["queued"], 10);
    assert!(stats["progress"].as_f64().is_some_and(|p| p == 0.0));

    let (status, paused) = server
        .post(&format!("/api/executions/{id}/pause"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(paused["status"], "paused");
    let (status, body) = server
        .post(&format!("/api/executions/{id}/pause"), json!({}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "CONFLICT");
    let (status, resumed) = server
        .post(&format!("/api/executions/{id}/resume"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(resumed["status"], "running");
    for bad in [
        json!({ "concurrency": 0 }),
        json!({ "concurrency": 51 }),
        json!({}),
    ] {
        let (status, body) = server
            .post(&format!("/api/executions/{id}/concurrency"), bad)
            .await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    }
    let (status, changed) = server
        .post(
            &format!("/api/executions/{id}/concurrency"),
            json!({ "concurrency": 7 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(changed["concurrency"], 7);
    let (_, listed) = server
        .get(&format!(
            "/api/projects/{project}/executions?status=running&batch_id={batch}"
        ))
        .await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(2));
    let (status, body) = server
        .get(&format!(
            "/api/projects/{project}/executions?status=sleeping"
        ))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    // A project with an active execution cannot be deleted.
    let (status, body, _) = server
        .call(Method::DELETE, &format!("/api/projects/{project}"), None)
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "CONFLICT");

    let (status, stopping) = server
        .post(&format!("/api/executions/{id}/stop"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        ["stopping", "stopped"].contains(&stopping["status"].as_str().unwrap_or("")),
        "{stopping}"
    );
    let (status, body) = server
        .post(&format!("/api/executions/{id}/resume"), json!({}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "CONFLICT");
    let (status, body) = server
        .get(&format!("/api/executions/{}/stats", uuid::Uuid::now_v7()))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
}

async fn jobs_edits_bulk_and_ground_truth(server: &TestServer) {
    let project = server.shop_project("jobs").await;
    let rows: Vec<_> = (0..4)
        .map(|i| common::row(&format!("https://j{i}.example/"), "Title", "$5", "Brand"))
        .collect();
    let batch = server.rows_batch(&project, &rows).await;
    let (_, jobs) = server.get(&format!("/api/batches/{batch}/jobs")).await;
    let ids: Vec<String> = jobs["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|j| j["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(ids.len(), 4);

    let (status, detail) = server.get(&format!("/api/jobs/{}", ids[0])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["job"]["ground_truth"]["title"], "Title");
    assert_eq!(detail["sessions"], json!([]));

    // A ground-truth edit names its author in the audit trail.
    let response = server
        .client
        .patch(server.url(&format!("/api/jobs/{}", ids[0])))
        .header("x-mino-user", "alice")
        .json(&json!({ "ground_truth": { "title": "New Title" } }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::OK);
    let job: Value = response.json().await.expect("JSON");
    assert_eq!(job["ground_truth"]["title"], "New Title");
    let (status, changes) = server
        .get(&format!(
            "/api/batches/{batch}/ground-truth/changes?job_id={}",
            ids[0]
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{changes}");
    assert_eq!(changes["data"][0]["changed_by"], "alice");
    assert_eq!(changes["data"][0]["old_value"], "Title");
    assert_eq!(changes["data"][0]["new_value"], "New Title");
    for bad in [
        json!({ "status": "running" }),
        json!({ "site_url": " " }),
        json!({ "status": "sleeping" }),
    ] {
        let (status, body, _) = server
            .call(Method::PATCH, &format!("/api/jobs/{}", ids[0]), Some(bad))
            .await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    }

    // Bulk edit of ground truth, then bulk update and delete with their limits.
    let (status, edited) = server
        .post(
            &format!("/api/batches/{batch}/ground-truth/bulk-edit"),
            json!({ "job_ids": [ids[1], ids[2]], "field": "brand", "value": "Acme" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["updated"], 2);
    let (_, job) = server.get(&format!("/api/jobs/{}", ids[2])).await;
    assert_eq!(job["job"]["ground_truth"]["brand"], "Acme");
    let (status, body) = server
        .post(
            &format!("/api/batches/{batch}/ground-truth/bulk-edit"),
            json!({ "job_ids": [], "field": "brand", "value": "x" }),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, set) = server
        .post(
            &format!("/api/batches/{batch}/ground-truth/bulk-set"),
            json!({ "job_ids": [ids[3]] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(
        set["skipped"], 1,
        "a job never run has no extraction to take"
    );

    let too_many: Vec<String> = (0..1001)
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect();
    for path in ["/api/jobs/bulk/delete", "/api/jobs/bulk/rerun"] {
        let (status, body) = server.post(path, json!({ "job_ids": too_many })).await;
        let details = assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
        assert_eq!(details["field"], "job_ids");
    }
    let (status, body) = server
        .post(
            "/api/jobs/bulk/rerun",
            json!({ "job_ids": too_many[..101] }),
        )
        .await;
    let details = assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(details["max"], "100");
    let (status, body) = server
        .post(
            "/api/jobs/bulk/update",
            json!({ "job_ids": too_many, "update": { "status": "cancelled" } }),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = server
        .post("/api/jobs/bulk/delete", json!({ "job_ids": ["nope"] }))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, updated) = server
        .post(
            "/api/jobs/bulk/update",
            json!({ "job_ids": [ids[0], ids[1]], "update": { "status": "cancelled" } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["affected"], 2);
    let (_, cancelled) = server
        .get(&format!("/api/batches/{batch}/jobs?status=cancelled"))
        .await;
    assert_eq!(cancelled["data"].as_array().map(Vec::len), Some(2));
    let (status, deleted) = server
        .post(
            "/api/jobs/bulk/delete",
            json!({ "job_ids": [ids[3], uuid::Uuid::now_v7()] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["affected"], 1);
    let (status, body) = server.get(&format!("/api/jobs/{}", ids[3])).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
    // A rerun starts a production execution over the jobs.
    let (status, rerun) = server
        .post(
            "/api/jobs/bulk/rerun",
            json!({ "job_ids": [ids[0]], "concurrency": 2 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rerun}");
    assert_eq!(rerun["executions"][0]["mode"], "production");
    assert_eq!(rerun["executions"][0]["total"], 1);
}

async fn metrics_trends_snapshots_and_dashboard(server: &TestServer) {
    let project = server.shop_project("metrics").await;
    let rows = vec![common::row("https://m.example/", "T", "$1", "B")];
    let batch = server.rows_batch(&project, &rows).await;
    let (status, report) = server
        .get(&format!("/api/batches/{batch}/ground-truth/column-metrics"))
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(report["metrics"]["columns"].is_array());
    let (status, body) = server
        .get(&format!(
            "/api/batches/{batch}/ground-truth/column-metrics?execution_id=nope"
        ))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, snapshot) = server
        .post(
            &format!("/api/batches/{batch}/ground-truth/snapshot"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{snapshot}");
    assert_eq!(snapshot["batch_id"], batch);
    let (_, snapshots) = server
        .get(&format!("/api/batches/{batch}/ground-truth/snapshots"))
        .await;
    assert_eq!(snapshots["data"].as_array().map(Vec::len), Some(1));
    let (status, trend) = server
        .get(&format!(
            "/api/batches/{batch}/ground-truth/trends?by=instruction_version"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{trend}");
    assert_eq!(trend.as_array().map(Vec::len), Some(1));
    assert_eq!(trend[0]["key"]["kind"], "instruction_version");
    let (status, body) = server
        .get(&format!(
            "/api/batches/{batch}/ground-truth/trends?by=weekday"
        ))
        .await;
    let details = assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(details["field"], "by");
    let (status, dashboard) = server
        .get(&format!("/api/batches/{batch}/analytics/dashboard"))
        .await;
    assert_eq!(status, StatusCode::OK, "{dashboard}");
    assert_eq!(dashboard["batch"]["id"], batch);
    assert_eq!(dashboard["counts"]["pending"], 1);
    let (status, body) = server
        .get(&format!(
            "/api/batches/{}/analytics/dashboard",
            uuid::Uuid::now_v7()
        ))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
}

async fn exports_stream_with_headers(server: &TestServer) {
    let project = server.shop_project("exports").await;
    let (status, created) = upload(server, &project, "export me", CSV.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::CREATED);
    let batch = created["batch"]["id"].as_str().expect("an id").to_owned();
    let response = server
        .client
        .post(server.url(&format!("/api/batches/{batch}/export")))
        .json(&json!({ "format": "csv" }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap_or("")
        .to_owned();
    assert_eq!(
        disposition,
        format!("attachment; filename=\"export_me-{batch}.csv\"")
    );
    let text = response.text().await.expect("the file");
    assert_eq!(text.lines().count(), 4, "a header and three rows: {text}");
    // Filters apply; GET works for download links; every format has its type.
    let response = server
        .get_raw(&format!(
            "/api/batches/{batch}/export?format=ndjson&status=invalid"
        ))
        .await;
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let text = response.text().await.expect("the file");
    assert_eq!(text.lines().count(), 1, "{text}");
    let response = server
        .get_raw(&format!("/api/batches/{batch}/export?format=xlsx"))
        .await;
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = response.bytes().await.expect("the file");
    assert_eq!(&bytes[..2], b"PK", "an xlsx file is a zip");
    let (status, body) = server
        .post(
            &format!("/api/batches/{batch}/export"),
            json!({ "format": "pdf" }),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = server
        .post(
            &format!("/api/batches/{batch}/export"),
            json!({ "colour": "red" }),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = server
        .post(
            &format!("/api/batches/{}/export", uuid::Uuid::now_v7()),
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
}

async fn openapi_metrics_and_dashboard_files(server: &TestServer) {
    let (status, doc) = server.get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().expect("paths");
    for (path, methods) in [
        ("/api/health", &["get"][..]),
        ("/api/projects", &["get", "post"]),
        ("/api/projects/{id}", &["get", "put", "delete"]),
        ("/api/projects/{id}/jobs", &["get"]),
        ("/api/projects/{id}/executions", &["get"]),
        ("/api/projects/{id}/instructions/versions", &["get"]),
        ("/api/projects/{id}/batches", &["post"]),
        ("/api/projects/{id}/batches/{batch_id}/execute", &["post"]),
        ("/api/batches", &["get", "post"]),
        ("/api/batches/{id}", &["get", "put", "delete"]),
        ("/api/batches/{id}/jobs", &["get"]),
        ("/api/batches/{id}/export", &["get", "post"]),
        ("/api/batches/{id}/ground-truth/bulk-set", &["post"]),
        ("/api/batches/{id}/ground-truth/bulk-edit", &["post"]),
        ("/api/batches/{id}/ground-truth/changes", &["get"]),
        ("/api/batches/{id}/ground-truth/column-metrics", &["get"]),
        ("/api/batches/{id}/ground-truth/trends", &["get"]),
        ("/api/batches/{id}/ground-truth/snapshot", &["post"]),
        ("/api/batches/{id}/ground-truth/snapshots", &["get"]),
        ("/api/batches/{id}/analytics/dashboard", &["get"]),
        ("/api/executions/{id}", &["get"]),
        ("/api/executions/{id}/stats", &["get"]),
        ("/api/executions/{id}/pause", &["post"]),
        ("/api/executions/{id}/resume", &["post"]),
        ("/api/executions/{id}/stop", &["post"]),
        ("/api/executions/{id}/concurrency", &["post"]),
        ("/api/jobs/{id}", &["get", "patch"]),
        ("/api/jobs/bulk/delete", &["post"]),
        ("/api/jobs/bulk/rerun", &["post"]),
        ("/api/jobs/bulk/update", &["post"]),
        ("/api/artifacts/{id}", &["get"]),
    ] {
        for method in methods {
            assert!(
                paths.get(path).and_then(|p| p.get(*method)).is_some(),
                "{method} {path} is not in the OpenAPI document"
            );
        }
    }
    assert_eq!(
        paths.len(),
        31,
        "every documented path is a route of the test list"
    );
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "Project",
        "Job",
        "Execution",
        "ExecutionStats",
        "ErrorBody",
        "StartBody",
    ] {
        assert!(schemas.contains_key(name), "schema {name} is missing");
    }

    let response = server.get_raw("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("metrics text");
    for metric in [
        "mino_http_requests_total{method=\"GET\",route=\"/api/openapi.json\",status=\"200\"}",
        "mino_http_request_duration_seconds_bucket",
        "mino_ws_connections",
        "mino_jobs{state=\"pending\"}",
        "mino_agent_cost_usd_total",
    ] {
        assert!(text.contains(metric), "{metric} not in\n{text}");
    }

    let response = server.get_raw("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap_or("")
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = response.text().await.expect("HTML");
    assert!(html.contains("/assets/js/app.js"));
    for (path, _, _) in mino_http::dashboard::ASSETS {
        let response = server.get_raw(&format!("/assets/{path}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    let response = server.get_raw("/assets/../Cargo.toml").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            use super::{Backend, TestServer};
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let server = TestServer::start(Backend::Sqlite, false, super::config())
                        .await
                        .expect("SQLite is always there");
                    super::$name(&server).await;
                    server.finish().await;
                }
            )*
        }
        mod postgres {
            use super::{Backend, TestServer};
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(server) = TestServer::start(Backend::Postgres, false, super::config()).await else {
                        return;
                    };
                    super::$name(&server).await;
                    server.finish().await;
                }
            )*
        }
    };
}

suite!(
    health_request_ids_and_cors,
    projects_crud_paging_and_errors,
    batches_upload_json_filters_and_limits,
    executions_controls_and_ranges,
    jobs_edits_bulk_and_ground_truth,
    metrics_trends_snapshots_and_dashboard,
    exports_stream_with_headers,
    openapi_metrics_and_dashboard_files,
);
