//! The `llm` agent against a scripted chat-completions server, driving real Chromium on local
//! fixture pages. The script reads the page digest it receives (element numbers, text) as a
//! model would, so these tests fail if the digest does not show the page.
#![cfg(all(feature = "llm", feature = "chromium"))]

mod llm_support;

use std::time::Duration;

use mino_core::ErrorKind;
use serde_json::json;

use llm_support::{
    agent, bookshop, call, chromium_found, element, last_message, last_page, last_tool_result,
    model_server, raw_call, run_agent, task, text_after, Answer, Turn,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicks_types_and_finishes_on_real_pages() {
    if !chromium_found() {
        return;
    }
    let site = bookshop().await;
    let (url, model) = model_server(vec![
        Box::new(|req| {
            let page = last_page(req)?;
            if !page.contains("Welcome to the independent bookshop.") {
                return Err(format!("the home page text is missing:\n{page}"));
            }
            let n = element(&page, "link \"Catalogue\"")?;
            Ok(raw_call(
                "click",
                &json!({"element": n, "reasoning": "The catalogue should have a search."})
                    .to_string(),
                None,
            ))
        }),
        Box::new(|req| {
            let page = last_page(req)?;
            let n = element(&page, "label=\"Title or author\"")?;
            Ok(call("type", json!({"element": n, "text": "rust"})))
        }),
        Box::new(|req| {
            let page = last_page(req)?;
            let typed = element(&page, "value=\"rust\"")?;
            let search = element(&page, "button \"Search\"")?;
            if typed == search {
                return Err("typed field and button share a number".to_owned());
            }
            Ok(raw_call(
                "click",
                &json!({"element": search}).to_string(),
                Some("Run the search."),
            ))
        }),
        Box::new(|req| {
            let page = last_page(req)?;
            if !page.contains("The Rust Programming Language") {
                return Err(format!("the result is missing:\n{page}"));
            }
            Ok(call(
                "finish",
                json!({"fields": {
                    "title": "The Rust Programming Language",
                    "price": text_after(&page, "Price:")?,
                    "author": text_after(&page, "Author:")?,
                    "isbn": null,
                }}),
            ))
        }),
    ])
    .await;
    let outcome = run_agent(
        &agent(&url, json!({})),
        &task(&site, "/", &["title", "price", "author", "isbn"]),
    )
    .await
    .expect("the run succeeds");

    // The values came from the pages, through the digest.
    assert_eq!(
        outcome.values["title"].as_deref(),
        Some("The Rust Programming Language")
    );
    assert_eq!(outcome.values["price"].as_deref(), Some("$39.95"));
    assert_eq!(outcome.values["author"].as_deref(), Some("Steve Klabnik"));
    assert_eq!(outcome.values["isbn"], None);
    // The browser really clicked and typed: the site saw the pages and the search.
    let hits = site.hits();
    assert_eq!(hits, ["/", "/catalogue", "/search?q=rust"], "{hits:?}");
    assert_eq!(
        outcome.final_url.as_deref(),
        Some(site.url("/search?q=rust").as_str())
    );

    // The requests follow the wire format.
    let requests = model.requests();
    assert_eq!(requests.len(), 4);
    for request in &requests {
        assert_eq!(request.authorization, "Bearer sk-test");
        let body = &request.body;
        assert_eq!(body["model"], "test-model");
        let tools: Vec<&str> = body["tools"]
            .as_array()
            .expect("tools")
            .iter()
            .map(|t| {
                assert_eq!(t["type"], "function");
                assert_eq!(t["function"]["parameters"]["type"], "object");
                t["function"]["name"].as_str().expect("name")
            })
            .collect();
        assert_eq!(tools, ["navigate", "click", "type", "scroll", "finish"]);
        assert_eq!(
            body["tools"][4]["function"]["parameters"]["properties"]["fields"]["required"],
            json!(["title", "price", "author", "isbn"])
        );
        assert_eq!(body["messages"][0]["role"], "system");
        let task_text = body["messages"][1]["content"].as_str().expect("task");
        assert!(
            task_text.contains("Find the book the row names"),
            "{task_text}"
        );
        assert!(task_text.contains("- topic: rust"), "{task_text}");
        assert!(task_text.contains("- price (text)"), "{task_text}");
    }
    // Each later request answers the previous tool call and shows only the latest page.
    let second = &requests[1].body["messages"];
    let messages = second.as_array().expect("messages");
    let assistant = &messages[messages.len() - 3];
    assert_eq!(assistant["role"], "assistant");
    assert_eq!(assistant["tool_calls"][0]["function"]["name"], "click");
    assert_eq!(messages[messages.len() - 2]["role"], "tool");
    assert_eq!(messages[messages.len() - 2]["tool_call_id"], "call_x");
    let pages = requests[3].body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| {
            m["content"]
                .as_str()
                .is_some_and(|c| c.starts_with("Step "))
        })
        .count();
    assert_eq!(pages, 1, "older page states are shortened");

    // Usage: 4 answers of 100 + 10 tokens at $2.5 / $10 per million.
    assert_eq!(outcome.usage.tokens_in, 400);
    assert_eq!(outcome.usage.tokens_out, 40);
    assert!((outcome.usage.cost_usd - (400.0 * 2.5 + 40.0 * 10.0) / 1e6).abs() < 1e-12);

    // A JPEG per step, labelled with the step and the action.
    let labels: Vec<&str> = outcome
        .screenshots
        .iter()
        .map(|s| s.label.as_str())
        .collect();
    assert_eq!(labels.len(), 4, "{labels:?}");
    assert!(labels[0].starts_with("step 1: click(["), "{labels:?}");
    assert!(labels[0].contains("\"Catalogue\""), "{labels:?}");
    assert!(labels[1].starts_with("step 2: type(["), "{labels:?}");
    assert!(labels[2].contains("\"Search\""), "{labels:?}");
    assert_eq!(labels[3], "step 4: finish");
    for shot in &outcome.screenshots {
        assert_eq!(shot.content_type, "image/jpeg");
        assert!(
            shot.bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
            "{}",
            shot.label
        );
    }
    // A log line per step, with the model's reason when it gave one.
    let log: Vec<&str> = outcome.log.iter().map(|l| l.message.as_str()).collect();
    assert!(
        log.iter().any(|l| l.starts_with("step 1: click")
            && l.ends_with("— The catalogue should have a search.")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.starts_with("step 3: click") && l.ends_with("— Run the search.")),
        "{log:?}"
    );
    assert!(
        log.iter().any(|l| l.starts_with("step 4: finish")),
        "{log:?}"
    );
    // Evidence per found field.
    let price = &outcome.evidence["price"];
    assert_eq!(price.rule, "llm:step 4");
    assert_eq!(price.url, site.url("/search?q=rust"));
    assert!(
        price
            .snippet
            .as_deref()
            .is_some_and(|s| s.contains("Price: $39.95")),
        "{price:?}"
    );
    assert!(!outcome.evidence.contains_key("isbn"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_answers_get_one_repair_round() {
    if !chromium_found() {
        return;
    }
    let site = bookshop().await;
    let (url, model) = model_server(vec![
        Box::new(|_| {
            Ok(raw_call(
                "finish",
                r#"{"fields": {"title": "Acme Books""#,
                None,
            ))
        }),
        Box::new(|req| {
            let last = last_message(req);
            let text = last["content"].as_str().unwrap_or("");
            if last["role"] != "tool" || !text.contains("not valid JSON") {
                return Err(format!("expected a repair message, got {last}"));
            }
            Ok(call("finish", json!({"fields": {"title": "Acme Books"}})))
        }),
    ])
    .await;
    let outcome = run_agent(&agent(&url, json!({})), &task(&site, "/", &["title"]))
        .await
        .expect("repaired");
    assert_eq!(outcome.values["title"].as_deref(), Some("Acme Books"));
    assert_eq!(model.requests().len(), 2);
    assert!(outcome
        .log
        .iter()
        .any(|l| l.message.contains("asking for a repair")));

    // Invalid again after the repair round: the run ends, saying what was wrong.
    let (url, model) = model_server(vec![
        Box::new(|_| {
            Ok(call(
                "finish",
                json!({"fields": {"title": "x", "colour": "red"}}),
            ))
        }),
        Box::new(|_| Ok(call("finish", json!({"fields": {"title": 42}})))),
    ])
    .await;
    let err = run_agent(&agent(&url, json!({})), &task(&site, "/", &["title"]))
        .await
        .expect_err("still invalid");
    assert_eq!(err.kind(), ErrorKind::Agent);
    assert!(!err.is_transient());
    assert!(
        err.message().contains("still invalid after a repair round"),
        "{err:?}"
    );
    assert!(
        err.message()
            .contains("title must be a string or null, not a number"),
        "{err:?}"
    );
    let first_repair = &model.requests()[1].body;
    assert!(
        last_message(first_repair)["content"]
            .as_str()
            .is_some_and(|c| c.contains("unknown key(s) colour")),
        "{first_repair}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_wait_for_retry_after() {
    if !chromium_found() {
        return;
    }
    let site = bookshop().await;
    let (url, model) = model_server(vec![
        Box::new(|_| {
            Ok(Answer {
                status: 429,
                headers: vec![("retry-after", "2".to_owned())],
                body: json!({"error": {"message": "Rate limit reached", "type": "requests"}}),
            })
        }),
        Box::new(|_| Ok(call("finish", json!({"fields": {"title": "Acme Books"}})))),
    ])
    .await;
    let outcome = run_agent(&agent(&url, json!({})), &task(&site, "/", &["title"]))
        .await
        .expect("succeeds after the wait");
    assert_eq!(outcome.values["title"].as_deref(), Some("Acme Books"));
    let requests = model.requests();
    assert_eq!(requests.len(), 2);
    let waited = requests[1].at - requests[0].at;
    assert!(waited >= Duration::from_secs(2), "waited only {waited:?}");
    assert!(waited < Duration::from_secs(6), "waited {waited:?}");
    // The rejected request cost nothing; the answered one is counted once.
    assert_eq!(outcome.usage.tokens_in, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeating_the_same_action_is_a_loop() {
    if !chromium_found() {
        return;
    }
    let site = bookshop().await;
    let more = || -> Turn {
        Box::new(|req| {
            let page = last_page(req)?;
            Ok(call(
                "click",
                json!({"element": element(&page, "button \"Load more\"")?}),
            ))
        })
    };
    let (url, model) = model_server(vec![more(), more(), more(), more()]).await;
    let err = run_agent(&agent(&url, json!({})), &task(&site, "/loop", &["title"]))
        .await
        .expect_err("loop");
    assert_eq!(err.kind(), ErrorKind::Agent);
    assert!(!err.is_transient());
    assert!(err.message().contains("loop detected"), "{err:?}");
    assert!(err.message().contains("3 times"), "{err:?}");
    assert_eq!(err.context_value("limit"), Some("loop"));
    assert_eq!(model.requests().len(), 3);
    assert_eq!(err.context_value("tokens_in"), Some("300"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_limit_and_token_budget_end_the_run() {
    if !chromium_found() {
        return;
    }
    let site = bookshop().await;
    let (url, model) = model_server(vec![
        Box::new(|req| {
            let page = last_page(req)?;
            Ok(call(
                "click",
                json!({"element": element(&page, "link \"About us\"")?}),
            ))
        }),
        Box::new(|_| Ok(call("navigate", json!({"url": "/catalogue"})))),
        Box::new(|_| Ok(call("finish", json!({"fields": {"title": "too late"}})))),
    ])
    .await;
    let err = run_agent(
        &agent(&url, json!({"max_steps": 2})),
        &task(&site, "/", &["title"]),
    )
    .await
    .expect_err("step limit");
    assert_eq!(err.kind(), ErrorKind::Agent);
    assert!(!err.is_transient());
    assert!(
        err.message().contains("step limit reached: 2 model calls"),
        "{err:?}"
    );
    assert_eq!(err.context_value("limit"), Some("max_steps"));
    assert_eq!(err.context_value("steps"), Some("2"));
    assert_eq!(model.requests().len(), 2);
    // Both actions happened before the limit: the navigation was relative to /about.
    assert_eq!(site.hits(), ["/", "/about", "/catalogue"]);
    let last = last_page(&model.requests()[1].body).expect("page");
    assert!(
        last.contains("This is the last step: call finish now."),
        "{last}"
    );

    let (url, model) = model_server(vec![Box::new(|_| {
        let mut answer = call("scroll", json!({"direction": "down"}));
        answer.body["usage"] = json!({"prompt_tokens": 900, "completion_tokens": 200});
        Ok(answer)
    })])
    .await;
    let err = run_agent(
        &agent(&url, json!({"max_tokens_total": 1000})),
        &task(&site, "/", &["title"]),
    )
    .await
    .expect_err("budget");
    assert_eq!(err.kind(), ErrorKind::Agent);
    assert!(
        err.message()
            .contains("token budget exhausted: 1100 tokens used of 1000"),
        "{err:?}"
    );
    assert_eq!(err.context_value("cost_usd"), Some("0.004250"));
    assert_eq!(model.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_with_submit_presses_enter_and_bad_numbers_are_reported() {
    if !chromium_found() {
        return;
    }
    let site = bookshop().await;
    let (url, model) = model_server(vec![
        Box::new(|_| Ok(call("click", json!({"element": 99})))),
        Box::new(|req| {
            let result = last_tool_result(req);
            if !result.contains("There is no element [99]") {
                return Err(format!(
                    "expected the missing element to be reported, got {result:?}"
                ));
            }
            let page = last_page(req)?;
            Ok(call(
                "type",
                json!({"element": element(&page, "label=\"Title or author\"")?,
                       "text": "Rust", "submit": true}),
            ))
        }),
        Box::new(|req| {
            let page = last_page(req)?;
            Ok(call(
                "finish",
                json!({"fields": {"title": text_after(&page, "Results for")?}}),
            ))
        }),
    ])
    .await;
    let outcome = run_agent(
        &agent(&url, json!({})),
        &task(&site, "/catalogue", &["title"]),
    )
    .await
    .expect("the run succeeds");
    assert_eq!(outcome.values["title"].as_deref(), Some("Rust"));
    assert_eq!(site.hits(), ["/catalogue", "/search?q=Rust"]);
    assert_eq!(model.requests().len(), 3);
}
