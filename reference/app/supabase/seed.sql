-- Sample rows so that row-level security has something to hide.
insert into public.shops (domain) values ('demo.myshopify.com'), ('other.myshopify.com');
insert into public.orders (shop_id, total_cents, status)
select id, 1999, 'paid' from public.shops;
