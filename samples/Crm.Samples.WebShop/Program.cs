// A web shop's back office on the kernel. Run: dotnet run --project samples/Crm.Samples.WebShop -- --urls http://127.0.0.1:5080
// then: curl -X POST http://127.0.0.1:5080/orders -H 'Content-Type: application/json' \
//   -d '{"externalId":"web-1","buyer":{"name":"Nora","phone":"+47 915 00 001","email":"nora@example.com"},"lines":[{"product":"chair","quantity":2}]}'
using Crm.Samples.WebShop;

var app = await WebShopApp.BuildAsync(args);
await app.RunAsync();
