// Stand-in for the app's Next.js standalone build (the app's own build makes it).
console.log("nize-web");
