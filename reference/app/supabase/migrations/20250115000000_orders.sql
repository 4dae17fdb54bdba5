-- Orders belong to a shop; totals are whole cents and never negative.
create table public.orders (
    id bigint generated always as identity primary key,
    shop_id bigint not null references public.shops (id) on delete cascade,
    total_cents integer not null check (total_cents >= 0),
    status text not null default 'open' check (status in ('open', 'paid', 'refunded')),
    created_at timestamptz not null default now()
);

create index orders_shop_created_idx on public.orders (shop_id, created_at desc);

alter table public.orders enable row level security;

create policy "a shop sees its orders" on public.orders
    for select to authenticated
    using (
        shop_id in (
            select id from public.shops
            where domain = (select current_setting('request.jwt.claims', true))::jsonb ->> 'shop'
        )
    );

grant select on public.orders to anon, authenticated;
