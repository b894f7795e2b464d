//! [`ChatClient`]: one chat-completions request at a time, with retries.

use serde_json::Value;
use tracing::debug;

use super::error::{agent_error, ERRORS};
use super::protocol::{ApiUsage, AssistantMessage, ChatRequest, ChatResponse, Message};
use crate::agents::{send_with_retry, ApiKey, RetryPolicy};
use mino_core::Result;

/// A model's answer to one request.
#[derive(Debug)]
pub(crate) struct Completion {
    /// The assistant message of the first choice.
    pub message: AssistantMessage,
    /// Tokens of this request (zero when the server does not report them).
    pub usage: ApiUsage,
}

/// Talks to one OpenAI-compatible endpoint with one model.
#[derive(Debug, Clone)]
pub(crate) struct ChatClient {
    pub http: reqwest::Client,
    pub endpoint: String,
    pub model: String,
    pub key: Option<ApiKey>,
    pub temperature: Option<f64>,
    pub policy: RetryPolicy,
}

impl ChatClient {
    /// Sends the conversation and the tools; returns the first choice. Rate limits and server
    /// errors are retried as [`RetryPolicy`] says; an answer without a choice is a permanent
    /// [`Agent`](mino_core::ErrorKind::Agent) error.
    pub async fn complete(&self, messages: &[Message], tools: &[Value]) -> Result<Completion> {
        let body = ChatRequest {
            model: &self.model,
            messages,
            tools,
            tool_choice: "auto",
            temperature: self.temperature,
        };
        let response = send_with_retry(&self.policy, &ERRORS, || {
            let request = self.http.post(&self.endpoint).json(&body);
            match &self.key {
                Some(key) => request.bearer_auth(key.expose()),
                None => request,
            }
        })
        .await?;
        let text = response.text().await.map_err(ERRORS.transport)?;
        let answer: ChatResponse = serde_json::from_str(&text).map_err(|e| {
            agent_error(format!(
                "llm agent: the model provider's answer is not a chat completion: {e}"
            ))
        })?;
        let usage = answer.usage.unwrap_or_default();
        let Some(choice) = answer.choices.into_iter().next() else {
            return Err(agent_error(
                "llm agent: the model provider answered without any choice",
            ));
        };
        debug!(
            finish_reason = choice.finish_reason.as_deref().unwrap_or(""),
            prompt_tokens = usage.prompt_tokens,
            completion_tokens = usage.completion_tokens,
            "model answered"
        );
        Ok(Completion {
            message: choice.message,
            usage,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    use axum::routing::post;
    use axum::Router;
    use mino_core::ErrorKind;
    use serde_json::json;

    use super::*;

    /// A scripted answer: status, headers, body.
    type Scripted = (u16, Vec<(&'static str, &'static str)>, Value);

    /// Serves `answers` in order (the last one repeats) and records the authorization headers.
    async fn serve(answers: Vec<Scripted>) -> (String, Arc<Mutex<Vec<(Instant, String)>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let answers = Arc::new(answers);
        let app = Router::new().route(
            "/v1/chat/completions",
            post(move |headers: HeaderMap| {
                let log = log.clone();
                let answers = answers.clone();
                async move {
                    let auth = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    let n = {
                        let mut log = log.lock().expect("lock");
                        log.push((Instant::now(), auth));
                        log.len() - 1
                    };
                    let (status, headers, body) = answers[n.min(answers.len() - 1)].clone();
                    let mut response = (
                        StatusCode::from_u16(status).expect("status"),
                        body.to_string(),
                    )
                        .into_response();
                    for (name, value) in headers {
                        response
                            .headers_mut()
                            .insert(name, value.parse().expect("header value"));
                    }
                    response
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        (format!("http://{addr}/v1/chat/completions"), seen)
    }

    fn client(endpoint: String, retries: u32) -> ChatClient {
        ChatClient {
            http: reqwest::Client::new(),
            endpoint,
            model: "m".into(),
            key: Some(ApiKey::new("sk-test")),
            temperature: None,
            policy: RetryPolicy {
                base_delay: Duration::from_millis(20),
                ..RetryPolicy::new(retries, Duration::from_secs(5))
            },
        }
    }

    fn ok() -> Value {
        json!({"choices": [{"message": {"role": "assistant", "content": "hi"}}],
               "usage": {"prompt_tokens": 7, "completion_tokens": 2}})
    }

    #[tokio::test]
    async fn rate_limits_wait_for_retry_after() {
        let (url, seen) = serve(vec![
            (
                429,
                vec![("retry-after", "1")],
                json!({"error": {"message": "slow"}}),
            ),
            (200, vec![], ok()),
        ])
        .await;
        let answer = client(url, 3).complete(&[], &[]).await.expect("answer");
        assert_eq!(answer.message.text().as_deref(), Some("hi"));
        assert_eq!(answer.usage.prompt_tokens, 7);
        let seen = seen.lock().expect("lock");
        assert_eq!(seen.len(), 2);
        assert!(seen[1].0 - seen[0].0 >= Duration::from_secs(1));
        assert_eq!(seen[0].1, "Bearer sk-test");
    }

    #[tokio::test]
    async fn server_errors_are_retried_then_transient() {
        let (url, seen) = serve(vec![(503, vec![], json!({"error": "down"}))]).await;
        let err = client(url, 2).complete(&[], &[]).await.expect_err("fails");
        assert_eq!(err.kind(), ErrorKind::Network);
        assert!(err.is_transient());
        assert_eq!(err.context_value("attempts"), Some("3"));
        assert_eq!(seen.lock().expect("lock").len(), 3);
    }

    #[tokio::test]
    async fn refused_keys_are_permanent_at_once() {
        let (url, seen) = serve(vec![(
            401,
            vec![],
            json!({"error": {"message": "Incorrect API key"}}),
        )])
        .await;
        let err = client(url, 3).complete(&[], &[]).await.expect_err("fails");
        assert_eq!(err.kind(), ErrorKind::Agent);
        assert!(!err.is_transient());
        assert!(err.message().contains("Incorrect API key"), "{err:?}");
        assert_eq!(seen.lock().expect("lock").len(), 1);
    }

    #[tokio::test]
    async fn waits_longer_than_allowed_fail_at_once() {
        let (url, seen) = serve(vec![(429, vec![("retry-after", "3600")], json!({}))]).await;
        let err = client(url, 3).complete(&[], &[]).await.expect_err("fails");
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        assert!(err.is_transient());
        assert_eq!(err.context_value("retry_after_secs"), Some("3600.0"));
        assert_eq!(seen.lock().expect("lock").len(), 1);
    }

    #[tokio::test]
    async fn answers_without_choices_are_agent_errors() {
        let (url, _) = serve(vec![(200, vec![], json!({"choices": []}))]).await;
        let err = client(url, 0).complete(&[], &[]).await.expect_err("fails");
        assert_eq!(err.kind(), ErrorKind::Agent);
    }
}
