-- Row-level security as the app's callers see it, run by `supabase test db` (pg_prove).
-- Everything happens in one transaction that is rolled back: the seed rows stay as they are.
begin;
create extension if not exists pgtap;
select plan(4);

set local role authenticated;
select set_config('request.jwt.claims', '{"shop": "demo.myshopify.com"}', true);

select results_eq(
    'select domain from public.shops',
    array['demo.myshopify.com'],
    'a signed-in shop sees only itself'
);
select is(
    (select count(*)::int from public.orders o
     where o.shop_id <> (select id from public.shops where domain = 'demo.myshopify.com')),
    0,
    'a signed-in shop sees none of another shop''s orders'
);
select isnt_empty('select 1 from public.orders', 'a signed-in shop sees its own orders');

reset role;
set local role anon;
select is_empty('select 1 from public.orders', 'an anonymous caller sees no orders');

select * from finish();
rollback;
