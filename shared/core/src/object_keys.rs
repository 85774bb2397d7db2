//! Where a job's bytes live in the object store. The prefixes are what the bucket notification filters on.

use crate::ids::{DocumentId, JobId, TenantId};

pub const UPLOADS_PREFIX: &str = "uploads/";
pub const DOCUMENTS_PREFIX: &str = "documents/";

pub fn upload_key(tenant: TenantId, job: JobId) -> String {
    format!("{UPLOADS_PREFIX}{tenant}/{job}/source")
}

pub fn document_key(job: JobId, document: DocumentId) -> String {
    format!("{DOCUMENTS_PREFIX}{job}/{document}")
}

/// What a stored object is, read back from its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectRef {
    Upload { tenant: TenantId, job: JobId },
    Document { job: JobId, document: DocumentId },
}

pub fn parse_object_key(key: &str) -> Option<ObjectRef> {
    let parts: Vec<&str> = key.split('/').collect();
    match parts.as_slice() {
        ["uploads", tenant, job, "source"] => Some(ObjectRef::Upload {
            tenant: TenantId::parse(tenant)?,
            job: JobId::parse(job)?,
        }),
        ["documents", job, document] => Some(ObjectRef::Document {
            job: JobId::parse(job)?,
            document: DocumentId::parse(document)?,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        let (t, j, d) = (TenantId::random(), JobId::random(), DocumentId::random());
        assert_eq!(
            parse_object_key(&upload_key(t, j)),
            Some(ObjectRef::Upload { tenant: t, job: j })
        );
        assert_eq!(
            parse_object_key(&document_key(j, d)),
            Some(ObjectRef::Document {
                job: j,
                document: d
            })
        );
        assert_eq!(parse_object_key("uploads/x/y/source"), None);
        assert_eq!(parse_object_key("results/a"), None);
        assert_eq!(parse_object_key(&format!("documents/{j}/{d}/extra")), None);
    }
}
