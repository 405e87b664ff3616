/** The docs' `transaction.created` example (REFERENCE §11.4). */
export const DOCS_EVENT = {
  type: "transaction.created",
  data: {
    account_id: "acc_00008gju41AHyfLUzBUk8A",
    amount: -350,
    created: "2015-09-04T14:28:40Z",
    currency: "GBP",
    description: "Ozone Coffee Roasters",
    id: "tx_00008zjky19HyFLAzlUk7t",
    category: "eating_out",
    is_load: false,
    settled: "2015-09-05T14:28:40Z",
    merchant: {
      address: {
        address: "98 Southgate Road",
        city: "London",
        country: "GB",
        latitude: 51.54151,
        longitude: -0.084824,
        postcode: "N1 3JD",
        region: "Greater London",
      },
      created: "2015-08-22T12:20:18Z",
      group_id: "grp_00008zIcpbBOaAr7TTP3sv",
      id: "merch_00008zIcpbAKe8shBxXUtl",
      logo: "https://example-logos.invalid/ozone.jpeg",
      emoji: "🍞",
      name: "The De Beauvoir Deli Co.",
      category: "eating_out",
    },
  },
};
