-- Human-in-the-loop approvals for actions the app proposes.
create type public.approval_state as enum ('pending', 'approved', 'rejected');

create table public.approvals (
    id uuid primary key default gen_random_uuid(),
    shop_id bigint not null references public.shops (id) on delete cascade,
    action jsonb not null,
    state public.approval_state not null default 'pending',
    decided_by text,
    decided_at timestamptz,
    constraint decided_together check ((decided_by is null) = (decided_at is null))
);

create index approvals_shop_idx on public.approvals (shop_id);

alter table public.approvals enable row level security;

create policy "a shop sees its approvals" on public.approvals
    for select to authenticated
    using (
        shop_id in (
            select id from public.shops
            where domain = (select current_setting('request.jwt.claims', true))::jsonb ->> 'shop'
        )
    );

grant select on public.approvals to anon, authenticated;
