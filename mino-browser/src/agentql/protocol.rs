//! The wire format of AgentQL's `POST /v1/query-data`.
//!
//! The request has the AgentQL `query`, the page as `html` (the alternative to a public `url`,
//! which our sites behind a session or a proxy are not) and `params` with the `mode`. The
//! answer has `data`, shaped like the query, and `metadata` such as `request_id`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::config::QueryMode;

/// The request body.
#[derive(Debug, Serialize)]
pub(crate) struct QueryRequest<'a> {
    pub query: &'a str,
    pub html: &'a str,
    pub params: QueryParams,
}

/// `params` of a request.
#[derive(Debug, Serialize)]
pub(crate) struct QueryParams {
    pub mode: QueryMode,
}

/// The answer.
#[derive(Debug, Deserialize)]
pub(crate) struct QueryResponse {
    /// Values by query term; `null` or absent when AgentQL found nothing at all.
    #[serde(default)]
    pub data: Option<Map<String, Value>>,
    /// Request id, timings and the like, for the log.
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_and_answer_follow_the_documented_shape() {
        let body = serde_json::to_value(QueryRequest {
            query: "{\n  title\n}",
            html: "<html></html>",
            params: QueryParams {
                mode: QueryMode::Standard,
            },
        })
        .expect("json");
        assert_eq!(
            body,
            json!({"query": "{\n  title\n}", "html": "<html></html>", "params": {"mode": "standard"}})
        );
        let answer: QueryResponse = serde_json::from_value(json!({
            "data": {"title": "x"}, "metadata": {"request_id": "r-1"}
        }))
        .expect("answer");
        assert_eq!(
            answer.data.and_then(|d| d.get("title").cloned()),
            Some(json!("x"))
        );
    }
}
