//! Helpers shared by the whole-pipeline tests: a stack per test on either backend and its HTTP API, a
//! recording webhook receiver, the sample AWS events of `events/` with the items they name, and
//! infra/template.yaml (read, and created in the emulator).

pub mod api;
pub mod clocked_queue;
pub mod corpus;
pub mod moto;
pub mod read_worker_hooks;
pub mod receiver;
pub mod sample_events;
pub mod signature;
pub mod stack;
pub mod template;

/// Runs each named scenario, an `async fn(Backend)`, as two tests: on the embedded backend and on the AWS
/// adapters against the emulator. One scenario suite, two backends.
#[macro_export]
macro_rules! on_both_backends {
    ($($scenario:ident),+ $(,)?) => {
        mod embedded_backend {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario($crate::stack::Backend::Embedded).await;
                }
            )+
        }
        mod aws_backend {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario($crate::stack::Backend::Aws).await;
                }
            )+
        }
    };
}
