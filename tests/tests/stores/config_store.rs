use crate::env;
use chrono::Duration;
use integration_tests::stack::Backend;
use pagewire_core::fixtures::{endpoint, t0, template, tenant};
use pagewire_core::ids::{EndpointId, TemplateId, TenantId};
use pagewire_core::model::ApiKeyRecord;
use pagewire_core::ports::ChargeOutcome;
use pagewire_core::StoreError;

async fn tenants_carry_their_current_balance(backend: Backend) {
    let env = env(backend).await;
    let config = &env.storage;
    let acme = tenant(10, t0() + Duration::seconds(1));
    let first = tenant(0, t0());
    config.tenants.insert_tenant(&acme).await.unwrap();
    config.tenants.insert_tenant(&first).await.unwrap();
    assert_eq!(
        config.tenants.insert_tenant(&acme).await,
        Err(StoreError::Conflict)
    );

    assert_eq!(config.credits.add_credits(acme.id, 5).await.unwrap(), 15);
    assert_eq!(config.credits.add_credits(acme.id, -3).await.unwrap(), 12);
    assert_eq!(
        config
            .tenants
            .get_tenant(acme.id)
            .await
            .unwrap()
            .unwrap()
            .credits,
        12
    );
    let listed: Vec<(TenantId, i64)> = config
        .tenants
        .list_tenants()
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.id, t.credits))
        .collect();
    assert_eq!(listed, vec![(first.id, 0), (acme.id, 12)]);

    assert_eq!(
        config.tenants.get_tenant(TenantId::random()).await.unwrap(),
        None
    );
    assert!(matches!(
        config.credits.add_credits(TenantId::random(), 1).await,
        Err(StoreError::Permanent(_))
    ));
}

async fn charging_is_idempotent_per_charge_id_and_refuses_overdraft(backend: Backend) {
    let env = env(backend).await;
    let config = &env.storage;
    let acme = tenant(10, t0());
    config.tenants.insert_tenant(&acme).await.unwrap();

    assert_eq!(
        config
            .credits
            .charge_credits(acme.id, "doc-1", 4)
            .await
            .unwrap(),
        ChargeOutcome::Charged { remaining: 6 }
    );
    assert_eq!(
        config
            .credits
            .charge_credits(acme.id, "doc-1", 4)
            .await
            .unwrap(),
        ChargeOutcome::AlreadyCharged
    );
    assert_eq!(
        config
            .tenants
            .get_tenant(acme.id)
            .await
            .unwrap()
            .unwrap()
            .credits,
        6
    );

    assert_eq!(
        config
            .credits
            .charge_credits(acme.id, "doc-2", 7)
            .await
            .unwrap(),
        ChargeOutcome::Insufficient { balance: 6 }
    );
    assert_eq!(
        config
            .tenants
            .get_tenant(acme.id)
            .await
            .unwrap()
            .unwrap()
            .credits,
        6
    );
    // A refused charge left no trace: once topped up, the same charge id goes through.
    config.credits.add_credits(acme.id, 1).await.unwrap();
    assert_eq!(
        config
            .credits
            .charge_credits(acme.id, "doc-2", 7)
            .await
            .unwrap(),
        ChargeOutcome::Charged { remaining: 0 }
    );

    // Charge ids are per tenant.
    let other = tenant(1, t0());
    config.tenants.insert_tenant(&other).await.unwrap();
    assert_eq!(
        config
            .credits
            .charge_credits(other.id, "doc-1", 1)
            .await
            .unwrap(),
        ChargeOutcome::Charged { remaining: 0 }
    );

    assert!(matches!(
        config
            .credits
            .charge_credits(TenantId::random(), "x", 1)
            .await,
        Err(StoreError::Permanent(_))
    ));
}

async fn concurrent_charges_never_overdraw(backend: Backend) {
    let env = env(backend).await;
    let acme = tenant(50, t0());
    env.tenants.insert_tenant(&acme).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let config = env.storage.clone();
        // Every charge id twice: the repeats must find AlreadyCharged.
        tasks.push(tokio::spawn(async move {
            config
                .credits
                .charge_credits(acme.id, &format!("doc-{}", i % 20), 3)
                .await
        }));
    }
    let mut charged = 0;
    for task in tasks {
        if let ChargeOutcome::Charged { .. } = task.await.unwrap().unwrap() {
            charged += 1;
        }
    }
    assert_eq!(charged, 16);
    assert_eq!(
        env.tenants
            .get_tenant(acme.id)
            .await
            .unwrap()
            .unwrap()
            .credits,
        2
    );
}

async fn api_keys_are_found_by_hash(backend: Backend) {
    let env = env(backend).await;
    let config = &env.storage;
    let key = ApiKeyRecord {
        key_hash: "ab".repeat(32),
        tenant_id: TenantId::random(),
        display_prefix: "pw_live_ab".to_string(),
        created_at: t0(),
    };
    config.api_keys.insert_api_key(&key).await.unwrap();
    assert_eq!(
        config.api_keys.insert_api_key(&key).await,
        Err(StoreError::Conflict)
    );
    assert_eq!(
        config.api_keys.find_api_key(&key.key_hash).await.unwrap(),
        Some(key)
    );
    assert_eq!(
        config
            .api_keys
            .find_api_key(&"cd".repeat(32))
            .await
            .unwrap(),
        None
    );
}

async fn templates_are_versioned_ordered_and_isolated_by_tenant(backend: Backend) {
    let env = env(backend).await;
    let config = &env.storage;
    let (mine, theirs) = (TenantId::random(), TenantId::random());
    let later = template(mine, "later", t0() + Duration::seconds(5));
    let earlier = template(mine, "earlier", t0());
    let foreign = template(theirs, "foreign", t0());
    for t in [&later, &earlier, &foreign] {
        config.templates.insert_template(t).await.unwrap();
    }
    assert!(matches!(
        config.templates.insert_template(&earlier).await,
        Err(StoreError::Conflict)
    ));
    let names = |list: Vec<pagewire_core::model::Template>| {
        list.into_iter().map(|t| t.name).collect::<Vec<_>>()
    };
    assert_eq!(
        names(config.templates.list_templates(mine).await.unwrap()),
        vec!["earlier", "later"]
    );

    let mut renamed = earlier.clone();
    renamed.name = "renamed".to_string();
    config.templates.update_template(&renamed).await.unwrap();
    renamed.version += 1;
    assert_eq!(
        config
            .templates
            .get_template(mine, earlier.id)
            .await
            .unwrap(),
        Some(renamed.clone())
    );
    // A writer holding the copy before the rename loses, and changes nothing.
    let mut stale = earlier.clone();
    stale.name = "stale".to_string();
    assert!(matches!(
        config.templates.update_template(&stale).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        names(config.templates.list_templates(mine).await.unwrap()),
        vec!["renamed", "later"]
    );

    // Another tenant's template is invisible and cannot be deleted through this tenant.
    assert_eq!(
        config
            .templates
            .get_template(mine, foreign.id)
            .await
            .unwrap(),
        None
    );
    assert!(!config
        .templates
        .delete_template(mine, foreign.id)
        .await
        .unwrap());
    assert!(config
        .templates
        .get_template(theirs, foreign.id)
        .await
        .unwrap()
        .is_some());

    assert!(config
        .templates
        .delete_template(mine, later.id)
        .await
        .unwrap());
    assert!(!config
        .templates
        .delete_template(mine, later.id)
        .await
        .unwrap());
    // An update of a deleted template does not bring it back.
    assert!(matches!(
        config.templates.update_template(&later).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        names(config.templates.list_templates(mine).await.unwrap()),
        vec!["renamed"]
    );
}

async fn endpoints_are_filtered_by_template_and_isolated_by_tenant(backend: Backend) {
    let env = env(backend).await;
    let config = &env.storage;
    let (mine, theirs) = (TenantId::random(), TenantId::random());
    let (invoices, receipts) = (TemplateId::random(), TemplateId::random());
    let b = endpoint(mine, invoices, "b", t0() + Duration::seconds(2));
    let a = endpoint(mine, invoices, "a", t0() + Duration::seconds(1));
    let c = endpoint(mine, receipts, "c", t0() + Duration::seconds(3));
    let foreign = endpoint(theirs, invoices, "foreign", t0());
    for e in [&b, &a, &c, &foreign] {
        config.endpoints.insert_endpoint(e).await.unwrap();
    }
    let names = |list: Vec<pagewire_core::model::WebhookEndpoint>| {
        list.into_iter().map(|e| e.name).collect::<Vec<_>>()
    };
    assert_eq!(
        names(config.endpoints.list_endpoints(mine, None).await.unwrap()),
        vec!["a", "b", "c"]
    );
    assert_eq!(
        names(
            config
                .endpoints
                .list_endpoints(mine, Some(invoices))
                .await
                .unwrap()
        ),
        vec!["a", "b"]
    );
    assert_eq!(
        names(config.endpoints.list_endpoints(theirs, None).await.unwrap()),
        vec!["foreign"]
    );

    // Moving an endpoint to another template is seen by the filter.
    let mut moved = c.clone();
    moved.template_id = invoices;
    moved.enabled = false;
    config.endpoints.update_endpoint(&moved).await.unwrap();
    moved.version += 1;
    assert!(matches!(
        config.endpoints.update_endpoint(&c).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        names(
            config
                .endpoints
                .list_endpoints(mine, Some(invoices))
                .await
                .unwrap()
        ),
        vec!["a", "b", "c"]
    );
    assert!(names(
        config
            .endpoints
            .list_endpoints(mine, Some(receipts))
            .await
            .unwrap()
    )
    .is_empty());
    assert_eq!(
        config.endpoints.get_endpoint(mine, c.id).await.unwrap(),
        Some(moved)
    );

    assert_eq!(
        config
            .endpoints
            .get_endpoint(mine, foreign.id)
            .await
            .unwrap(),
        None
    );
    assert!(!config
        .endpoints
        .delete_endpoint(mine, foreign.id)
        .await
        .unwrap());
    assert!(config
        .endpoints
        .delete_endpoint(theirs, foreign.id)
        .await
        .unwrap());
    // An update of a deleted endpoint does not bring it back.
    assert!(matches!(
        config.endpoints.update_endpoint(&foreign).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        config
            .endpoints
            .get_endpoint(theirs, foreign.id)
            .await
            .unwrap(),
        None
    );
    assert!(!config
        .endpoints
        .delete_endpoint(theirs, EndpointId::random())
        .await
        .unwrap());
}

integration_tests::on_both_backends!(
    tenants_carry_their_current_balance,
    charging_is_idempotent_per_charge_id_and_refuses_overdraft,
    concurrent_charges_never_overdraw,
    api_keys_are_found_by_hash,
    templates_are_versioned_ordered_and_isolated_by_tenant,
    endpoints_are_filtered_by_template_and_isolated_by_tenant,
);
