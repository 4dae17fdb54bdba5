-- Shops that installed the app; each row is private to its own shop.
create table public.shops (
    id bigint generated always as identity primary key,
    domain text not null unique check (domain like '%.myshopify.com'),
    installed_at timestamptz not null default now()
);

alter table public.shops enable row level security;

create policy "a shop sees itself" on public.shops
    for select to authenticated
    using (domain = (select current_setting('request.jwt.claims', true))::jsonb ->> 'shop');

grant select on public.shops to anon, authenticated;
